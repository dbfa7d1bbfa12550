/**
 * The connection handshake: mutual authentication bound to the connection. Three steps, the
 * dialing side (client) first, and neither side reveals a proof over a nonce it did not choose
 * before the other side has proven itself with it:
 *
 *   client -> server  hello{version, clientNonce, clientAddress, dialed, auth}
 *   server -> client  challenge{version, serverNonce, auth}                  (no proof)
 *   client -> server  auth{proof_c = HMAC(secret, "client" | cN | sN | dialed | clientAddress)}
 *   server -> client  auth{proof_s = HMAC(secret, "server" | cN | sN | dialed | clientAddress)}
 *
 * The server checks that `dialed` names itself before it answers (a relay to another node fails
 * there), verifies proof_c, and only then sends proof_s; the client verifies proof_s against the
 * address it DIALED, and that address (not anything the server says) is who it talks to. Fresh
 * nonces from both sides stop replay; the per-direction labels stop reflection; the dialed address
 * in both proofs stops relaying one node's proof to another. Proofs are compared with
 * timingSafeEqual. Anything else (a wrong version, a missing or wrong secret, a malformed frame)
 * rejects the connection with a reason.
 *
 * What it does not do: encrypt, or stop an active man in the middle between two honest nodes who
 * relays both directions and then injects into the TCP stream (as Spark's SASL auth without
 * encryption). Run the cluster on a network you trust.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, closeSync, fstatSync, lstatSync, openSync, readFileSync, writeSync } from "node:fs";
import type { Address } from "../protocol/ids.js";
import { AddressError, parseAddress } from "./address.js";

/**
 * Bumped whenever the wire format or the message set changes incompatibly (2: the mutual handshake;
 * 3: every message frame starts with its id, framing.ts).
 */
export const PROTOCOL_VERSION = 3;
/** A peer that has not completed the handshake within this time is cut off (short: a pending handshake holds a file descriptor). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 2_500;
/** Handshake frames are tiny; a larger one is an attack or a confused peer. */
export const MAX_HANDSHAKE_FRAME_BYTES = 4_096;
/** The shortest secret accepted: 128 bits. */
export const MIN_SECRET_BYTES = 16;
/** How to make a good secret, for error messages. */
export const MAKE_SECRET_HINT = "make one with: head -c 32 /dev/urandom | base64 > secret; chmod 600 secret";
const NONCE_BYTES = 32;
const HEX_NONCE = /^[0-9a-f]{64}$/;
const HEX_PROOF = /^[0-9a-f]{64}$/;

export type HandshakeSide = "client" | "server";

export interface HelloFrame {
  hs: "hello";
  protocolVersion: number;
  /** The client's own (listening) address: who it says it is. */
  nodeAddress: string;
  /** The address the client dialed: who it means to reach. */
  dialed: string;
  nonce: string;
  auth: boolean;
}
export interface ChallengeFrame {
  hs: "challenge";
  protocolVersion: number;
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
export type HandshakeFrame = HelloFrame | ChallengeFrame | AuthFrame | RejectFrame;

/** Stable reasons a handshake fails; `detail` in the rejection says more. */
export type HandshakeRejectReason =
  | "bad-handshake-frame"
  | "version-mismatch"
  | "peer-missing-secret"
  | "local-missing-secret"
  | "bad-proof"
  | "not-our-address"
  | "timeout"
  | "rejected-by-peer";

export interface HandshakeRejection {
  reason: HandshakeRejectReason;
  detail: string;
  /** For `rejected-by-peer`: the reason the peer gave, when it is one we know. */
  peerReason?: HandshakeRejectReason;
}

/**
 * Reasons that mean the two ends cannot authenticate each other (a wrong or missing secret, a
 * relayed or misaddressed connection, a protocol version apart): retrying will not help.
 */
const AUTH_FAILURES: ReadonlySet<HandshakeRejectReason> = new Set([
  "version-mismatch",
  "peer-missing-secret",
  "local-missing-secret",
  "bad-proof",
  "not-our-address",
]);

/** Whether a rejection is an authentication failure (final), as opposed to a timeout or garbage. */
export function isAuthFailure(rejection: HandshakeRejection): boolean {
  return (
    AUTH_FAILURES.has(rejection.reason) ||
    (rejection.reason === "rejected-by-peer" && rejection.peerReason !== undefined && AUTH_FAILURES.has(rejection.peerReason))
  );
}

const KNOWN_REASONS: ReadonlySet<string> = new Set<HandshakeRejectReason>([
  "bad-handshake-frame",
  "version-mismatch",
  "peer-missing-secret",
  "local-missing-secret",
  "bad-proof",
  "not-our-address",
  "timeout",
  "rejected-by-peer",
]);

export interface HandshakeProgress {
  /** Payloads to send to the peer, in order. */
  send: Buffer[];
  /**
   * Set once the peer has proven itself: for a server, the client's announced address; for a
   * client, the address it dialed.
   */
  peerAddress?: Address;
  reject?: HandshakeRejection;
}

export interface HandshakeOptions {
  side: HandshakeSide;
  /** Our address: a client announces it as its own; a server accepts it as a dialed address. */
  ourAddress: Address;
  /** Client: the address dialed (default `ourAddress`'s peer must be given; see `dialed`). */
  dialed?: Address;
  /**
   * Server: whether an address a client says it dialed names this server (default: equal to
   * `ourAddress`). A node listening on a wildcard is reachable under several names.
   */
  isOwnAddress?: (address: string) => boolean;
  /** The shared secret; undefined means this node runs without authentication. */
  secret?: string;
  /** For tests only: a fixed nonce (64 hex digits). */
  nonce?: string;
}

/** Computes a proof over one connection's transcript; exported so that tests can play a raw peer. */
export function computeProof(
  secret: string,
  proverSide: HandshakeSide,
  clientNonce: string,
  serverNonce: string,
  dialed: string,
  clientAddress: string,
): string {
  return createHmac("sha256", secret)
    .update(`flint-auth-v2\n${proverSide}\n${clientNonce}\n${serverNonce}\n${dialed}\n${clientAddress}`)
    .digest("hex");
}

export function encodeHandshakeFrame(frame: HandshakeFrame): Buffer {
  return Buffer.from(JSON.stringify(frame), "utf8");
}

type Phase = "start" | "await-hello" | "await-challenge" | "await-client-proof" | "await-server-proof" | "done" | "failed";

/** One side of one connection's handshake; the transport feeds it frames until done. */
export class Handshake {
  private readonly options: HandshakeOptions;
  readonly nonce: string;
  private phase: Phase;
  /** What both proofs cover, once known. */
  private transcript: { clientNonce: string; serverNonce: string; dialed: string; clientAddress: string } | undefined;

  constructor(options: HandshakeOptions) {
    if (options.side === "client" && options.dialed === undefined) throw new Error("a client handshake needs the address it dialed");
    this.options = options;
    this.nonce = options.nonce ?? randomBytes(NONCE_BYTES).toString("hex");
    this.phase = options.side === "client" ? "start" : "await-hello";
  }

  get done(): boolean {
    return this.phase === "done";
  }

  /** The frames to send as soon as the connection opens: the client's hello; nothing for a server. */
  start(): Buffer[] {
    if (this.options.side === "server" || this.phase !== "start") return [];
    this.phase = "await-challenge";
    return [this.hello()];
  }

  /** The client's hello frame (what `start` sends). */
  hello(): Buffer {
    return encodeHandshakeFrame({
      hs: "hello",
      protocolVersion: PROTOCOL_VERSION,
      nodeAddress: this.options.ourAddress,
      dialed: this.options.dialed ?? "",
      nonce: this.nonce,
      auth: this.options.secret !== undefined,
    });
  }

  receive(payload: Buffer): HandshakeProgress {
    if (this.phase === "done" || this.phase === "failed")
      return this.fail("bad-handshake-frame", `handshake frame after the handshake ${this.phase === "done" ? "completed" : "failed"}`);
    if (payload.length > MAX_HANDSHAKE_FRAME_BYTES)
      return this.fail("bad-handshake-frame", `handshake frame of ${payload.length} bytes (limit ${MAX_HANDSHAKE_FRAME_BYTES})`);
    let frame: unknown;
    try {
      frame = JSON.parse(payload.toString("utf8"));
    } catch {
      return this.fail("bad-handshake-frame", "handshake frame is not JSON");
    }
    if (typeof frame !== "object" || frame === null || Array.isArray(frame))
      return this.fail("bad-handshake-frame", "handshake frame is not an object");
    const f = frame as Record<string, unknown>;
    if (f["hs"] === "reject") {
      const why = typeof f["reason"] === "string" ? f["reason"].slice(0, 64) : "unknown";
      const detail = typeof f["detail"] === "string" ? f["detail"].slice(0, 300) : "";
      const rejection = this.fail("rejected-by-peer", `peer rejected the handshake: ${why}${detail ? `: ${detail}` : ""}`);
      if (KNOWN_REASONS.has(why)) rejection.reject!.peerReason = why as HandshakeRejectReason;
      return rejection;
    }
    switch (this.phase) {
      case "start":
        return this.fail("bad-handshake-frame", "a frame before our hello");
      case "await-hello":
        return this.onHello(f);
      case "await-challenge":
        return this.onChallenge(f);
      case "await-client-proof":
        return this.onClientProof(f);
      case "await-server-proof":
        return this.onServerProof(f);
      default: {
        const never: never = this.phase;
        return this.fail("bad-handshake-frame", `unexpected phase ${String(never)}`);
      }
    }
  }

  /** Server: a client's hello. Answers with a challenge (no proof yet). */
  private onHello(f: Record<string, unknown>): HandshakeProgress {
    if (f["hs"] !== "hello") return this.fail("bad-handshake-frame", `expected a hello, got ${describeKind(f)}`);
    const version = this.checkVersion(f, "hello");
    if (typeof version !== "number") return version;
    const nodeAddress = f["nodeAddress"];
    if (typeof nodeAddress !== "string") return this.fail("bad-handshake-frame", "hello has no nodeAddress");
    const addressProblem = badAddress(nodeAddress);
    if (addressProblem !== undefined) return this.fail("bad-handshake-frame", addressProblem);
    const nonce = f["nonce"];
    if (typeof nonce !== "string" || !HEX_NONCE.test(nonce)) return this.fail("bad-handshake-frame", "hello nonce is not 64 hex digits");
    if (nonce === this.nonce) return this.fail("bad-handshake-frame", "peer echoed our nonce");
    const auth = f["auth"];
    if (typeof auth !== "boolean") return this.fail("bad-handshake-frame", "hello has no auth flag");
    const dialed = f["dialed"];
    if (typeof dialed !== "string") return this.fail("bad-handshake-frame", "hello does not say which address it dialed");
    const secret = this.options.secret;
    if (secret !== undefined && !auth)
      return this.fail("peer-missing-secret", `peer ${nodeAddress} has no secret, and this node requires authentication`);
    if (secret === undefined && auth)
      return this.fail("local-missing-secret", `peer ${nodeAddress} requires authentication, and this node has no secret`);
    const challenge = encodeHandshakeFrame({
      hs: "challenge",
      protocolVersion: PROTOCOL_VERSION,
      nonce: this.nonce,
      auth: secret !== undefined,
    });
    if (secret === undefined) {
      this.phase = "done";
      return { send: [challenge], peerAddress: nodeAddress as Address };
    }
    // Checked before anything is proven: a hello relayed from a client that meant another node fails here.
    const isOwn = this.options.isOwnAddress ?? ((a: string) => a === this.options.ourAddress);
    if (!isOwn(dialed))
      return this.fail(
        "not-our-address",
        `peer ${nodeAddress} dialed ${JSON.stringify(dialed.slice(0, 200))}, which is not this node (${this.options.ourAddress}; dial it by that address, its IP, or the host it listens on)`,
      );
    this.transcript = { clientNonce: nonce, serverNonce: this.nonce, dialed, clientAddress: nodeAddress };
    this.phase = "await-client-proof";
    return { send: [challenge] };
  }

  /** Client: the server's challenge. Proves ourselves over both nonces and the address we dialed. */
  private onChallenge(f: Record<string, unknown>): HandshakeProgress {
    if (f["hs"] !== "challenge") return this.fail("bad-handshake-frame", `expected a challenge, got ${describeKind(f)}`);
    const version = this.checkVersion(f, "challenge");
    if (typeof version !== "number") return version;
    const nonce = f["nonce"];
    if (typeof nonce !== "string" || !HEX_NONCE.test(nonce))
      return this.fail("bad-handshake-frame", "challenge nonce is not 64 hex digits");
    if (nonce === this.nonce) return this.fail("bad-handshake-frame", "peer echoed our nonce");
    const auth = f["auth"];
    if (typeof auth !== "boolean") return this.fail("bad-handshake-frame", "challenge has no auth flag");
    const dialed = this.options.dialed!;
    const secret = this.options.secret;
    if (secret !== undefined && !auth)
      return this.fail("peer-missing-secret", `peer ${dialed} has no secret, and this node requires authentication`);
    if (secret === undefined && auth)
      return this.fail("local-missing-secret", `peer ${dialed} requires authentication, and this node has no secret`);
    if (secret === undefined) {
      this.phase = "done";
      return { send: [], peerAddress: dialed };
    }
    this.transcript = { clientNonce: this.nonce, serverNonce: nonce, dialed, clientAddress: this.options.ourAddress };
    this.phase = "await-server-proof";
    return { send: [encodeHandshakeFrame({ hs: "auth", proof: this.proof("client") })] };
  }

  /** Server: the client's proof. Only once it holds do we prove ourselves. */
  private onClientProof(f: Record<string, unknown>): HandshakeProgress {
    const t = this.transcript!;
    const problem = this.verify(f, "client", t.clientAddress);
    if (problem) return problem;
    this.phase = "done";
    return { send: [encodeHandshakeFrame({ hs: "auth", proof: this.proof("server") })], peerAddress: t.clientAddress as Address };
  }

  /** Client: the server's proof, checked against the address we dialed. */
  private onServerProof(f: Record<string, unknown>): HandshakeProgress {
    const problem = this.verify(f, "server", this.options.dialed!);
    if (problem) return problem;
    this.phase = "done";
    return { send: [], peerAddress: this.options.dialed! };
  }

  private verify(f: Record<string, unknown>, peerSide: HandshakeSide, peer: string): HandshakeProgress | undefined {
    if (f["hs"] !== "auth") return this.fail("bad-handshake-frame", `expected an auth frame, got ${describeKind(f)}`);
    const proof = f["proof"];
    if (typeof proof !== "string" || !HEX_PROOF.test(proof)) return this.fail("bad-proof", `peer ${peer} sent a malformed proof`);
    if (!timingSafeEqual(Buffer.from(proof, "hex"), Buffer.from(this.proof(peerSide), "hex")))
      return this.fail("bad-proof", `peer ${peer} failed authentication (wrong secret, or a proof made for another connection)`);
    return undefined;
  }

  private proof(side: HandshakeSide): string {
    const t = this.transcript!;
    return computeProof(this.options.secret!, side, t.clientNonce, t.serverNonce, t.dialed, t.clientAddress);
  }

  private checkVersion(f: Record<string, unknown>, what: string): number | HandshakeProgress {
    const version = f["protocolVersion"];
    if (typeof version !== "number") return this.fail("bad-handshake-frame", `${what} has no protocolVersion`);
    if (version !== PROTOCOL_VERSION)
      return this.fail("version-mismatch", `peer speaks protocol version ${version}, we speak ${PROTOCOL_VERSION}`);
    return version;
  }

  private fail(reason: HandshakeRejectReason, detail: string): HandshakeProgress & { reject: HandshakeRejection } {
    this.phase = "failed";
    return { send: [], reject: { reason, detail } };
  }
}

function badAddress(text: string): string | undefined {
  try {
    parseAddress(text);
    return undefined;
  } catch (err) {
    return err instanceof AddressError ? err.message : "bad nodeAddress";
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

/**
 * Why a secret is too weak to use, or undefined when it is fine. Counted in bytes of its text:
 * at least 16 (128 bits), as a file made by `head -c 32 /dev/urandom | base64` easily is.
 */
export function weakSecretProblem(secret: string): string | undefined {
  const bytes = Buffer.byteLength(secret, "utf8");
  if (bytes === 0) return "the secret is empty";
  if (bytes < MIN_SECRET_BYTES) return `the secret is ${bytes} bytes, shorter than ${MIN_SECRET_BYTES} (128 bits); ${MAKE_SECRET_HINT}`;
  return undefined;
}

/**
 * Reads a secret file, refusing one that is a symbolic link, is not owned by the current user,
 * is readable or writable by its group or others, or holds a secret shorter than 128 bits. Each
 * refusal names the file and the fix.
 */
export function readSecretFile(path: string): string {
  let stat: ReturnType<typeof lstatSync>;
  try {
    // lstat: a symlink is refused, not followed (it could point at a file someone else controls).
    stat = lstatSync(path);
  } catch (err) {
    throw new SecretFileError(`cannot read secret file ${path}: ${(err as Error).message}`);
  }
  if (stat.isSymbolicLink()) throw new SecretFileError(`secret file ${path} is a symbolic link; point --secret-file at the file itself`);
  if (!stat.isFile()) throw new SecretFileError(`secret file ${path} is not a regular file`);
  const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
  if (uid !== undefined && stat.uid !== uid)
    throw new SecretFileError(
      `secret file ${path} is owned by uid ${stat.uid}, not by the current user (uid ${uid}); run: chown ${uid} ${path}`,
    );
  const mode = stat.mode;
  if ((mode & 0o077) !== 0)
    throw new SecretFileError(
      `secret file ${path} is accessible by group or others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); run: chmod 600 ${path}`,
    );
  let secret: string;
  try {
    secret = readFileSync(path, "utf8").trim();
  } catch (err) {
    throw new SecretFileError(`cannot read secret file ${path}: ${(err as Error).message}`);
  }
  if (secret.length === 0) throw new SecretFileError(`secret file ${path} is empty; ${MAKE_SECRET_HINT}`);
  const weak = weakSecretProblem(secret);
  if (weak !== undefined) throw new SecretFileError(`secret file ${path}: ${weak}`);
  return secret;
}
