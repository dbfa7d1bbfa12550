/**
 * The connection handshake. On connect both sides send a `hello` frame: protocol version, the
 * node's listening address, a fresh random nonce, and whether it authenticates. When both hold
 * the shared secret each then sends an `auth` frame proving it: HMAC-SHA256 over the PEER's
 * nonce, both addresses and the prover's side (client = the side that dialed), so a proof cannot
 * be replayed on another connection nor reflected back at its maker. Anything else (a wrong
 * version, a missing or wrong secret, a malformed frame) rejects the connection with a reason.
 *
 * What it does not do: encrypt, or stop an active man in the middle who relays both directions
 * (as Spark's SASL auth without encryption). Run the cluster on a network you trust.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, closeSync, fstatSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import type { Address } from "../protocol/ids.js";
import { AddressError, parseAddress } from "./address.js";

/** Bumped whenever the wire format or the message set changes incompatibly. */
export const PROTOCOL_VERSION = 1;
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 5_000;
/** Handshake frames are tiny; a larger one is an attack or a confused peer. */
export const MAX_HANDSHAKE_FRAME_BYTES = 4_096;
const NONCE_BYTES = 32;
const HEX_NONCE = /^[0-9a-f]{64}$/;
const HEX_PROOF = /^[0-9a-f]{64}$/;

export type HandshakeSide = "client" | "server";

export interface HelloFrame {
  hs: "hello";
  protocolVersion: number;
  nodeAddress: string;
  nonce: string;
  auth: boolean;
}
export interface AuthFrame {
  hs: "auth";
  proof: string;
}
/** Sent before closing a connection whose handshake failed, so the peer can log why. */
export interface RejectFrame {
  hs: "reject";
  reason: HandshakeRejectReason;
  detail: string;
}

/** Stable reasons a handshake fails; `detail` in the rejection says more. */
export type HandshakeRejectReason =
  | "bad-handshake-frame"
  | "version-mismatch"
  | "peer-missing-secret"
  | "local-missing-secret"
  | "bad-proof"
  | "timeout"
  | "rejected-by-peer";

export interface HandshakeRejection {
  reason: HandshakeRejectReason;
  detail: string;
}

export interface HandshakeProgress {
  /** Payloads to send to the peer, in order. */
  send: Buffer[];
  /** Set once the peer has proven itself: its announced listening address. */
  peerAddress?: Address;
  reject?: HandshakeRejection;
}

export interface HandshakeOptions {
  side: HandshakeSide;
  /** Our listening address, announced in our hello. */
  ourAddress: Address;
  /** The shared secret; undefined means this node runs without authentication. */
  secret?: string;
  /** For tests only: a fixed nonce (64 hex digits). */
  nonce?: string;
}

/** Computes a proof; exported so that tests can play a raw peer. */
export function computeProof(secret: string, proverSide: HandshakeSide, verifierNonce: string, proverAddress: string, verifierAddress: string): string {
  return createHmac("sha256", secret)
    .update(`flint-auth-v1\n${proverSide}\n${verifierNonce}\n${proverAddress}\n${verifierAddress}`)
    .digest("hex");
}

export function encodeHandshakeFrame(frame: HelloFrame | AuthFrame | RejectFrame): Buffer {
  return Buffer.from(JSON.stringify(frame), "utf8");
}

/** One side of one connection's handshake; the transport feeds it frames until done. */
export class Handshake {
  private readonly options: HandshakeOptions;
  readonly nonce: string;
  private phase: "await-hello" | "await-auth" | "done" | "failed" = "await-hello";
  private peerHello: HelloFrame | undefined;

  constructor(options: HandshakeOptions) {
    this.options = options;
    this.nonce = options.nonce ?? randomBytes(NONCE_BYTES).toString("hex");
  }

  get done(): boolean {
    return this.phase === "done";
  }

  /** Our hello: sent as soon as the connection opens. */
  hello(): Buffer {
    return encodeHandshakeFrame({
      hs: "hello",
      protocolVersion: PROTOCOL_VERSION,
      nodeAddress: this.options.ourAddress,
      nonce: this.nonce,
      auth: this.options.secret !== undefined,
    });
  }

  receive(payload: Buffer): HandshakeProgress {
    if (this.phase === "done" || this.phase === "failed") return this.fail("bad-handshake-frame", `handshake frame after the handshake ${this.phase === "done" ? "completed" : "failed"}`);
    if (payload.length > MAX_HANDSHAKE_FRAME_BYTES) return this.fail("bad-handshake-frame", `handshake frame of ${payload.length} bytes (limit ${MAX_HANDSHAKE_FRAME_BYTES})`);
    let frame: unknown;
    try {
      frame = JSON.parse(payload.toString("utf8"));
    } catch {
      return this.fail("bad-handshake-frame", "handshake frame is not JSON");
    }
    if (typeof frame !== "object" || frame === null || Array.isArray(frame)) return this.fail("bad-handshake-frame", "handshake frame is not an object");
    const f = frame as Record<string, unknown>;
    if (f["hs"] === "reject") {
      const why = typeof f["reason"] === "string" ? f["reason"].slice(0, 64) : "unknown";
      const detail = typeof f["detail"] === "string" ? f["detail"].slice(0, 300) : "";
      return this.fail("rejected-by-peer", `peer rejected the handshake: ${why}${detail ? `: ${detail}` : ""}`);
    }
    return this.phase === "await-hello" ? this.onHello(f) : this.onAuth(f);
  }

  private onHello(f: Record<string, unknown>): HandshakeProgress {
    if (f["hs"] !== "hello") return this.fail("bad-handshake-frame", `expected a hello, got ${describeKind(f)}`);
    const version = f["protocolVersion"];
    if (typeof version !== "number") return this.fail("bad-handshake-frame", "hello has no protocolVersion");
    if (version !== PROTOCOL_VERSION) return this.fail("version-mismatch", `peer speaks protocol version ${version}, we speak ${PROTOCOL_VERSION}`);
    const nodeAddress = f["nodeAddress"];
    if (typeof nodeAddress !== "string") return this.fail("bad-handshake-frame", "hello has no nodeAddress");
    try {
      parseAddress(nodeAddress);
    } catch (err) {
      return this.fail("bad-handshake-frame", err instanceof AddressError ? err.message : "bad nodeAddress");
    }
    const nonce = f["nonce"];
    if (typeof nonce !== "string" || !HEX_NONCE.test(nonce)) return this.fail("bad-handshake-frame", "hello nonce is not 64 hex digits");
    if (nonce === this.nonce) return this.fail("bad-handshake-frame", "peer echoed our nonce");
    const auth = f["auth"];
    if (typeof auth !== "boolean") return this.fail("bad-handshake-frame", "hello has no auth flag");
    const secret = this.options.secret;
    if (secret !== undefined && !auth) return this.fail("peer-missing-secret", `peer ${nodeAddress} has no secret, and this node requires authentication`);
    if (secret === undefined && auth) return this.fail("local-missing-secret", `peer ${nodeAddress} requires authentication, and this node has no secret`);
    this.peerHello = { hs: "hello", protocolVersion: version, nodeAddress, nonce, auth };
    if (secret === undefined) {
      this.phase = "done";
      return { send: [], peerAddress: nodeAddress as Address };
    }
    this.phase = "await-auth";
    const proof = computeProof(secret, this.options.side, nonce, this.options.ourAddress, nodeAddress);
    return { send: [encodeHandshakeFrame({ hs: "auth", proof })] };
  }

  private onAuth(f: Record<string, unknown>): HandshakeProgress {
    const peer = this.peerHello!;
    if (f["hs"] !== "auth") return this.fail("bad-handshake-frame", `expected an auth frame, got ${describeKind(f)}`);
    const proof = f["proof"];
    if (typeof proof !== "string" || !HEX_PROOF.test(proof)) return this.fail("bad-proof", `peer ${peer.nodeAddress} sent a malformed proof`);
    const peerSide: HandshakeSide = this.options.side === "client" ? "server" : "client";
    const expected = computeProof(this.options.secret!, peerSide, this.nonce, peer.nodeAddress, this.options.ourAddress);
    if (!timingSafeEqual(Buffer.from(proof, "hex"), Buffer.from(expected, "hex")))
      return this.fail("bad-proof", `peer ${peer.nodeAddress} failed authentication (wrong secret)`);
    this.phase = "done";
    return { send: [], peerAddress: peer.nodeAddress as Address };
  }

  private fail(reason: HandshakeRejectReason, detail: string): HandshakeProgress {
    this.phase = "failed";
    return { send: [], reject: { reason, detail } };
  }
}

function describeKind(f: Record<string, unknown>): string {
  const hs = f["hs"];
  if (typeof hs === "string") return `'${hs.slice(0, 32)}'`;
  if (typeof f["type"] === "string") return `a message before the handshake completed`;
  return "an unknown frame";
}

// ---- Secret files ----------------------------------------------------------------------------

export class SecretFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretFileError";
  }
}

/** A fresh random secret (256 bits, hex). */
export function generateSecret(): string {
  return randomBytes(32).toString("hex");
}

/**
 * Writes a new secret to `path`, readable and writable by its owner only (mode 0600). Refuses to
 * overwrite an existing file unless asked to. Returns the secret.
 */
export function createSecretFile(path: string, options: { overwrite?: boolean } = {}): string {
  const secret = generateSecret();
  let fd: number;
  try {
    fd = openSync(path, options.overwrite ? "w" : "wx", 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new SecretFileError(`secret file ${path} already exists`);
    throw new SecretFileError(`cannot create secret file ${path}: ${(err as Error).message}`);
  }
  try {
    // An existing file kept its old mode when overwritten: tighten it before writing the secret.
    chmodSync(path, 0o600);
    if ((fstatSync(fd).mode & 0o077) !== 0) throw new SecretFileError(`cannot make secret file ${path} private`);
    writeSync(fd, secret + "\n");
  } finally {
    closeSync(fd);
  }
  return secret;
}

/** Reads a secret file, refusing one that its group or other users can read or write. */
export function readSecretFile(path: string): string {
  let mode: number;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) throw new SecretFileError(`secret file ${path} is not a regular file`);
    mode = stat.mode;
  } catch (err) {
    if (err instanceof SecretFileError) throw err;
    throw new SecretFileError(`cannot read secret file ${path}: ${(err as Error).message}`);
  }
  if ((mode & 0o077) !== 0)
    throw new SecretFileError(`secret file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); run: chmod 600 ${path}`);
  const secret = readFileSync(path, "utf8").trim();
  if (secret.length === 0) throw new SecretFileError(`secret file ${path} is empty`);
  return secret;
}
