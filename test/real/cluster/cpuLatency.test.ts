/**
 * `--low-latency` (src/real/cluster/cpuLatency.ts): the request is the latency bound written as a
 * 32-bit little-endian integer to a file held open until release; a refusal says why. The tests
 * write to a temporary file in place of /dev/cpu_dma_latency, so they never change the machine.
 */
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CPU_DMA_LATENCY_PATH, holdCpuLatency } from "../../../src/real/cluster/cpuLatency.js";

const dir = mkdtempSync(join(tmpdir(), "flint-cpu-latency-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** How many descriptors of this process point at `path` (Linux's /proc/self/fd). */
function openDescriptorsOf(path: string): number {
  return readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // closed meanwhile (the directory listing's own descriptor)
    }
  }).length;
}

describe("holdCpuLatency", () => {
  it("defaults to the kernel's PM QoS file", () => {
    expect(CPU_DMA_LATENCY_PATH).toBe("/dev/cpu_dma_latency");
  });

  it("writes the bound as a 32-bit little-endian integer and keeps the file open until release", () => {
    const path = join(dir, "latency-0");
    const held = holdCpuLatency(0, path);
    expect(held.ok).toBe(true);
    if (!held.ok) return;
    expect([...readFileSync(path)]).toEqual([0, 0, 0, 0]);
    expect(held.request.latencyUs).toBe(0);
    expect(openDescriptorsOf(path)).toBe(1);
    held.request.release();
    expect(openDescriptorsOf(path)).toBe(0);
    held.request.release(); // a second release is harmless
  });

  it("writes other bounds in µs", () => {
    const path = join(dir, "latency-300");
    const held = holdCpuLatency(300, path);
    expect(held.ok && [...readFileSync(path)]).toEqual([44, 1, 0, 0]);
    if (held.ok) held.request.release();
  });

  it("says why when the file is not there", () => {
    const held = holdCpuLatency(0, join(dir, "no-such-dir", "cpu_dma_latency"));
    expect(held).toEqual({ ok: false, why: expect.stringMatching(/does not exist \(this kernel has no PM QoS CPU latency interface\)/) });
  });

  it("says why when the path cannot be written", () => {
    const held = holdCpuLatency(0, dir);
    expect(held.ok).toBe(false);
    if (!held.ok) expect(held.why).toContain(dir);
  });

  it("refuses a bound that is not a non-negative integer", () => {
    for (const bad of [-1, 1.5, Number.NaN, 2 ** 31]) {
      const held = holdCpuLatency(bad, join(dir, "never"));
      expect(held).toEqual({ ok: false, why: `latency must be an integer number of µs >= 0, not ${bad}` });
    }
  });
});
