/** How a failed dial is named and whether it is worth retrying (src/real/dial-failure.ts). */
import { describe, expect, it } from "vitest";
import { address } from "../../src/protocol/ids.js";
import { isTransient, rejectionFailure, socketFailure } from "../../src/real/dial-failure.js";

const m = address("flint://127.0.0.1:7077");
const sockErr = (code: string): Error & { code: string } => Object.assign(new Error(`connect ${code}`), { code });

describe("dial failures", () => {
  it("a refused connection or no route is transient; an unknown host is not", () => {
    expect(socketFailure(m, sockErr("ECONNREFUSED"))).toEqual({ kind: "refused", detail: "127.0.0.1:7077 refused the connection" });
    expect(isTransient(socketFailure(m, sockErr("ECONNREFUSED")))).toBe(true);
    expect(isTransient(socketFailure(m, sockErr("EHOSTUNREACH")))).toBe(true);
    expect(isTransient(socketFailure(m, sockErr("EAI_AGAIN")))).toBe(true);
    expect(socketFailure(m, sockErr("ENOTFOUND")).kind).toBe("unresolved");
    expect(isTransient(socketFailure(m, sockErr("ENOTFOUND")))).toBe(false);
  });

  it("a failed authentication, ours or the peer's, is its own kind and never transient, with the cause named", () => {
    const ours = rejectionFailure(m, { reason: "bad-proof", detail: "peer flint://127.0.0.1:7077 failed authentication (wrong secret)" });
    expect(ours.kind).toBe("auth");
    expect(ours.detail).toMatch(/^authentication with 127\.0\.0\.1:7077 failed \(wrong secret\)/);
    expect(isTransient(ours)).toBe(false);
    const theirs = rejectionFailure(m, { reason: "rejected-by-peer", detail: "peer rejected the handshake: bad-proof: wrong secret" });
    expect(theirs.kind).toBe("auth");
    expect(rejectionFailure(m, { reason: "local-missing-secret", detail: "x" }).detail).toContain("it requires a secret and this side has none");
    expect(rejectionFailure(m, { reason: "rejected-by-peer", detail: "peer rejected the handshake: peer-missing-secret: x" }).detail).toContain("it requires a secret and this side has none");
    expect(rejectionFailure(m, { reason: "peer-missing-secret", detail: "x" }).detail).toContain("it has no secret and this side has one");
  });

  it("a version mismatch is incompatible (not retried); a handshake timeout is transient", () => {
    expect(rejectionFailure(m, { reason: "version-mismatch", detail: "v2 vs v1" }).kind).toBe("incompatible");
    expect(isTransient(rejectionFailure(m, { reason: "timeout", detail: "no connection within 10000 ms" }))).toBe(true);
  });
});
