/**
 * Why a connection we dialed failed before it opened, in words a user can act on. The transport
 * records the first cause (a socket error, or a rejected handshake) and reports it to its owner
 * (TransportOptions.onDialFailed), which decides what to retry: a refused connection is transient
 * while a master restarts, a failed authentication never heals by itself.
 */
import type { Address } from "../protocol/ids.js";
import type { HandshakeRejection } from "./handshake.js";

export type DialFailureKind =
  /** Nothing listens there (ECONNREFUSED). */
  | "refused"
  /** The host name does not exist (ENOTFOUND). */
  | "unresolved"
  /** No route, host down, no answer in time, or the name server did not answer (EAI_AGAIN). */
  | "unreachable"
  /** The peer answered but one side could not prove it holds the secret (or one side has none). */
  | "auth"
  /** The peer speaks another version or sent a broken handshake. */
  | "incompatible"
  /** The peer hung up during the handshake without saying why. */
  | "closed";

export interface DialFailure {
  kind: DialFailureKind;
  /** A sentence naming the peer and the cause, e.g. "127.0.0.1:7077 refused the connection". */
  detail: string;
}

/** Whether the same attempt may succeed later without anyone changing anything. */
export function isTransient(failure: DialFailure): boolean {
  return failure.kind === "refused" || failure.kind === "unreachable" || failure.kind === "closed";
}

/** "127.0.0.1:7077" for flint://127.0.0.1:7077. */
export function describePeer(peer: Address): string {
  return peer.replace(/^flint:\/\//, "");
}

export function socketFailure(peer: Address, err: Error & { code?: string }): DialFailure {
  const who = describePeer(peer);
  switch (err.code) {
    case "ECONNREFUSED":
      return { kind: "refused", detail: `${who} refused the connection` };
    case "ENOTFOUND":
    case "EAI_NONAME":
      return { kind: "unresolved", detail: `cannot resolve the host of ${who} (${err.code})` };
    // A name server that did not answer may answer next time.
    case "EAI_AGAIN":
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
      return { kind: "unreachable", detail: `${who} is unreachable (${err.code})` };
    default:
      return { kind: "closed", detail: `connection to ${who} failed: ${err.message}` };
  }
}

/** Handshake reasons (ours, or the peer's in its reject frame) that mean the secrets do not match. */
const AUTH_REASONS = ["bad-proof", "peer-missing-secret", "local-missing-secret"];

export function rejectionFailure(peer: Address, rejection: HandshakeRejection | { reason: string; detail: string }): DialFailure {
  const who = describePeer(peer);
  const peerReason = rejection.reason === "rejected-by-peer" ? /rejected the handshake: ([a-z-]+)/.exec(rejection.detail)?.[1] : undefined;
  const reason = peerReason ?? rejection.reason;
  if (AUTH_REASONS.includes(reason)) return { kind: "auth", detail: `authentication with ${who} failed (${authHint(reason, peerReason !== undefined)}): ${rejection.detail}` };
  if (reason === "timeout") return { kind: "unreachable", detail: `${who}: ${rejection.detail}` };
  return { kind: "incompatible", detail: `${who} cannot be talked to: ${rejection.detail}` };
}

function authHint(reason: string, fromPeer: boolean): string {
  if (reason === "bad-proof") return "wrong secret";
  // The peer's view is the mirror of ours: its "peer-missing-secret" means we have none.
  if ((reason === "peer-missing-secret") !== fromPeer) return "it has no secret and this side has one";
  return "it requires a secret and this side has none";
}
