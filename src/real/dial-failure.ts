/**
 * Why a connection we dialed failed before it opened, in words a user can act on. The transport
 * records the first cause (a socket error, or a rejected handshake) and reports it once to its
 * dial-failure listeners (Transport.onDialFailed), who decide what to retry: a refused connection
 * is transient while a master restarts, a failed authentication never heals by itself.
 *
 * A rejected handshake that the handshake module calls an authentication failure (`isAuthFailure`:
 * a wrong or missing secret, a connection that did not reach the node it dialed, a protocol
 * version apart) also carries the typed `AuthFailure` (Transport.onAuthFailure shows only those).
 */
import type { Address } from "../protocol/ids.js";
import { isAuthFailure, type HandshakeRejectReason, type HandshakeRejection } from "./handshake.js";

export type DialFailureKind =
  /** Nothing listens there (ECONNREFUSED). */
  | "refused"
  /** The host name does not exist (ENOTFOUND). */
  | "unresolved"
  /** No route, host down, no answer in time, or the name server did not answer (EAI_AGAIN). */
  | "unreachable"
  /** The peer answered but the two ends could not authenticate each other (a wrong or missing secret, not the node dialed). */
  | "auth"
  /** The peer speaks another protocol version or sent a broken handshake. */
  | "incompatible"
  /** The peer hung up during the handshake without saying why. */
  | "closed";

/** A connection we dialed failed to authenticate: retrying will not help (see `isAuthFailure`). */
export interface AuthFailure {
  /** The address we dialed. */
  peer: Address;
  reason: HandshakeRejectReason;
  /** For `rejected-by-peer`: the reason the peer gave. */
  peerReason?: HandshakeRejectReason;
  detail: string;
}

/** An `AuthFailure` as an error, for callers that fail an operation with it. */
export class AuthenticationError extends Error {
  readonly peer: Address;
  readonly reason: HandshakeRejectReason;
  constructor(failure: AuthFailure) {
    super(`authentication with ${failure.peer} failed (${failure.peerReason ?? failure.reason}): ${failure.detail}`);
    this.name = "AuthenticationError";
    this.peer = failure.peer;
    this.reason = failure.peerReason ?? failure.reason;
  }
}

export interface DialFailure {
  /** The address we dialed. */
  peer: Address;
  kind: DialFailureKind;
  /** A sentence naming the peer and the cause, e.g. "127.0.0.1:7077 refused the connection". */
  detail: string;
  /** Set when the handshake failed to authenticate (`isAuthFailure`); never for socket errors or timeouts. */
  auth?: AuthFailure;
}

/** A rejection the transport makes itself, outside the handshake (a broken frame, an undecodable message). */
export interface TransportRejection {
  reason: "bad-frame" | "bad-message";
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
      return { peer, kind: "refused", detail: `${who} refused the connection` };
    case "ENOTFOUND":
    case "EAI_NONAME":
      return { peer, kind: "unresolved", detail: `cannot resolve the host of ${who} (${err.code})` };
    // A name server that did not answer may answer next time.
    case "EAI_AGAIN":
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EHOSTDOWN":
      return { peer, kind: "unreachable", detail: `${who} is unreachable (${err.code})` };
    default:
      return { peer, kind: "closed", detail: `connection to ${who} failed: ${err.message}` };
  }
}

/** The peer hung up before the handshake completed, without a reject frame. */
export function closedFailure(peer: Address): DialFailure {
  return { peer, kind: "closed", detail: `${describePeer(peer)} closed the connection during the handshake` };
}

/** A failed handshake (ours, or the peer's in its reject frame) or a transport rejection of a connection we dialed. */
export function rejectionFailure(peer: Address, rejection: HandshakeRejection | TransportRejection): DialFailure {
  const who = describePeer(peer);
  if (isTransportRejection(rejection)) return { peer, kind: "incompatible", detail: `${who} cannot be talked to: ${rejection.detail}` };
  // The cause, whichever side saw it: the peer's reason when it rejected us.
  const cause = rejection.peerReason ?? rejection.reason;
  if (isAuthFailure(rejection)) {
    const auth: AuthFailure = {
      peer,
      reason: rejection.reason,
      detail: rejection.detail,
      ...(rejection.peerReason !== undefined ? { peerReason: rejection.peerReason } : {}),
    };
    // Final like the others, but a version apart is not a matter of secrets: named as what it is.
    if (cause === "version-mismatch")
      return { peer, kind: "incompatible", detail: `${who} cannot be talked to: ${rejection.detail}`, auth };
    return {
      peer,
      kind: "auth",
      detail: `authentication with ${who} failed (${authHint(cause, rejection.peerReason !== undefined)}): ${rejection.detail}`,
      auth,
    };
  }
  if (cause === "timeout") return { peer, kind: "unreachable", detail: `${who}: ${rejection.detail}` };
  return { peer, kind: "incompatible", detail: `${who} cannot be talked to: ${rejection.detail}` };
}

function isTransportRejection(rejection: HandshakeRejection | TransportRejection): rejection is TransportRejection {
  return rejection.reason === "bad-frame" || rejection.reason === "bad-message";
}

function authHint(reason: HandshakeRejectReason, fromPeer: boolean): string {
  switch (reason) {
    case "bad-proof":
      return "wrong secret";
    case "not-our-address":
      return "the node there does not answer to the address dialed";
    case "peer-missing-secret":
    case "local-missing-secret":
      // The peer's view is the mirror of ours: its "peer-missing-secret" means we have none.
      return (reason === "peer-missing-secret") !== fromPeer
        ? "it has no secret and this side has one"
        : "it requires a secret and this side has none";
    default:
      return reason;
  }
}
