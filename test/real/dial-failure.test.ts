/** How a failed dial is named and whether it is worth retrying (src/real/dial-failure.ts). */
import { describe, expect, it } from "vitest";
import { address } from "../../src/protocol/ids.js";
import { AuthenticationError, isTransient, rejectionFailure, socketFailure } from "../../src/real/dial-failure.js";
import { Handshake, type HandshakeRejection } from "../../src/real/handshake.js";

const m = address("flint://127.0.0.1:7077");
const sockErr = (code: string): Error & { code: string } => Object.assign(new Error(`connect ${code}`), { code });

/** Runs a real handshake between a client that dialed `m` and a server there; returns the first rejection on either side. */
function handshakeBetween(
  clientSecret: string | undefined,
  serverSecret: string | undefined,
): { client?: HandshakeRejection; server?: HandshakeRejection } {
  const client = new Handshake({
    side: "client",
    ourAddress: address("flint://127.0.0.1:40000"),
    dialed: m,
    ...(clientSecret !== undefined ? { secret: clientSecret } : {}),
  });
  const server = new Handshake({ side: "server", ourAddress: m, ...(serverSecret !== undefined ? { secret: serverSecret } : {}) });
  let toServer = client.start();
  for (let round = 0; round < 4; round++) {
    const toClient: Buffer[] = [];
    for (const frame of toServer) {
      const p = server.receive(frame);
      if (p.reject) return { server: p.reject };
      toClient.push(...p.send);
    }
    toServer = [];
    for (const frame of toClient) {
      const p = client.receive(frame);
      if (p.reject) return { client: p.reject };
      toServer.push(...p.send);
    }
  }
  return {};
}

/** What the client sees when the server rejects: the reject frame the transport sends, received by the client. */
function clientSeesServerReject(serverRejection: HandshakeRejection): HandshakeRejection {
  const client = new Handshake({
    side: "client",
    ourAddress: address("flint://127.0.0.1:40000"),
    dialed: m,
    secret: "0123456789abcdef0123456789abcdef",
  });
  client.start();
  return client.receive(Buffer.from(JSON.stringify({ hs: "reject", reason: serverRejection.reason, detail: serverRejection.detail })))!
    .reject!;
}

describe("dial failures", () => {
  it("a refused connection or no route is transient; an unknown host is not", () => {
    expect(socketFailure(m, sockErr("ECONNREFUSED"))).toEqual({
      peer: m,
      kind: "refused",
      detail: "127.0.0.1:7077 refused the connection",
    });
    expect(isTransient(socketFailure(m, sockErr("ECONNREFUSED")))).toBe(true);
    expect(isTransient(socketFailure(m, sockErr("EHOSTUNREACH")))).toBe(true);
    expect(isTransient(socketFailure(m, sockErr("EAI_AGAIN")))).toBe(true);
    expect(socketFailure(m, sockErr("ENOTFOUND")).kind).toBe("unresolved");
    expect(isTransient(socketFailure(m, sockErr("ENOTFOUND")))).toBe(false);
    expect(socketFailure(m, sockErr("ECONNREFUSED")).auth).toBeUndefined();
  });

  it("a failed authentication, ours or the peer's, is its own kind and never transient, with the cause named and the typed AuthFailure", () => {
    const ours = rejectionFailure(m, {
      reason: "bad-proof",
      detail: "peer flint://127.0.0.1:7077 failed authentication (wrong secret, or a proof made for another connection)",
    });
    expect(ours.kind).toBe("auth");
    expect(ours.detail).toMatch(/^authentication with 127\.0\.0\.1:7077 failed \(wrong secret\)/);
    expect(isTransient(ours)).toBe(false);
    expect(ours.auth).toEqual({ peer: m, reason: "bad-proof", detail: expect.stringContaining("wrong secret") });
    const theirs = rejectionFailure(m, {
      reason: "rejected-by-peer",
      peerReason: "bad-proof",
      detail: "peer rejected the handshake: bad-proof: wrong secret",
    });
    expect(theirs.kind).toBe("auth");
    expect(theirs.detail).toMatch(/^authentication with 127\.0\.0\.1:7077 failed \(wrong secret\)/);
    expect(theirs.auth).toMatchObject({ peer: m, reason: "rejected-by-peer", peerReason: "bad-proof" });
    expect(new AuthenticationError(theirs.auth!)).toMatchObject({ name: "AuthenticationError", reason: "bad-proof" });
    expect(rejectionFailure(m, { reason: "local-missing-secret", detail: "x" }).detail).toContain(
      "it requires a secret and this side has none",
    );
    expect(
      rejectionFailure(m, {
        reason: "rejected-by-peer",
        peerReason: "peer-missing-secret",
        detail: "peer rejected the handshake: peer-missing-secret: x",
      }).detail,
    ).toContain("it requires a secret and this side has none");
    expect(rejectionFailure(m, { reason: "peer-missing-secret", detail: "x" }).detail).toContain("it has no secret and this side has one");
    const relayed = rejectionFailure(m, {
      reason: "rejected-by-peer",
      peerReason: "not-our-address",
      detail: "peer rejected the handshake: not-our-address: ...",
    });
    expect(relayed).toMatchObject({ kind: "auth", auth: { peerReason: "not-our-address" } });
    expect(relayed.detail).toContain("the node there does not answer to the address dialed");
  });

  it("the detail texts of a real handshake: a wrong secret seen by the server and told to the client; a missing secret on either side", () => {
    const wrong = handshakeBetween("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210");
    expect(wrong.server?.reason).toBe("bad-proof");
    const told = rejectionFailure(m, clientSeesServerReject(wrong.server!));
    expect(told.kind).toBe("auth");
    expect(told.detail).toMatch(/^authentication with 127\.0\.0\.1:7077 failed \(wrong secret\): peer rejected the handshake: bad-proof: /);
    const noneHere = handshakeBetween(undefined, "fedcba9876543210fedcba9876543210");
    expect(rejectionFailure(m, noneHere.client ?? clientSeesServerReject(noneHere.server!)).detail).toContain(
      "(it requires a secret and this side has none)",
    );
    const noneThere = handshakeBetween("0123456789abcdef0123456789abcdef", undefined);
    const seen = noneThere.client ?? clientSeesServerReject(noneThere.server!);
    expect(rejectionFailure(m, seen).detail).toContain("(it has no secret and this side has one)");
  });

  it("a version mismatch is incompatible (not retried) though an authentication failure by the handshake's rule; a handshake timeout is transient and not an auth failure", () => {
    const version = rejectionFailure(m, { reason: "version-mismatch", detail: "peer speaks protocol version 1, we speak 2" });
    expect(version.kind).toBe("incompatible");
    expect(isTransient(version)).toBe(false);
    expect(version.auth).toMatchObject({ reason: "version-mismatch" });
    const timeout = rejectionFailure(m, { reason: "timeout", detail: "no connection to flint://127.0.0.1:7077 within 10000 ms" });
    expect(isTransient(timeout)).toBe(true);
    expect(timeout.auth).toBeUndefined();
    const badFrame = rejectionFailure(m, { reason: "bad-frame", detail: "frame of 9999999 bytes" });
    expect(badFrame.kind).toBe("incompatible");
    expect(badFrame.auth).toBeUndefined();
  });
});
