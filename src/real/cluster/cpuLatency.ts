/**
 * An opt-in request to the kernel to keep this machine's CPUs out of deep idle states while a
 * cluster runs (`--low-latency`): Linux's PM QoS interface, /dev/cpu_dma_latency. Writing a 32-bit
 * latency bound in µs holds the request for as long as the file stays open; 0 asks for the idle
 * state that polls instead of halting.
 *
 * Why flint offers it: a no-op task's round trip wakes two sleeping processes (the driver, then
 * the executor). On a virtual machine, waking a CPU that halted costs an exit to the hypervisor,
 * a large part of a tiny task's cost (bench/real.js, 2 workers x 1 core: 17-20k no-op tasks/s by
 * default, 22-23k with the request held, same build). The price is power: idle CPUs poll instead
 * of halting. So it is never on by default, and it needs root.
 */
import { closeSync, openSync, writeSync } from "node:fs";

export const CPU_DMA_LATENCY_PATH = "/dev/cpu_dma_latency";

/** A held request; `release()` closes the file, which ends it (so does the process's exit). */
export interface CpuLatencyRequest {
  readonly path: string;
  readonly latencyUs: number;
  release(): void;
}

export type CpuLatencyResult = { ok: true; request: CpuLatencyRequest } | { ok: false; why: string };

/** Asks for CPU wake-up latency of at most `latencyUs` µs; says why when the kernel or permissions refuse. */
export function holdCpuLatency(latencyUs = 0, path = CPU_DMA_LATENCY_PATH): CpuLatencyResult {
  if (!Number.isInteger(latencyUs) || latencyUs < 0 || latencyUs > 0x7fffffff)
    return { ok: false, why: `latency must be an integer number of µs >= 0, not ${latencyUs}` };
  let fd: number;
  try {
    fd = openSync(path, "w");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EACCES" || code === "EPERM") return { ok: false, why: `${path}: permission denied (the request needs root)` };
    if (code === "ENOENT") return { ok: false, why: `${path} does not exist (this kernel has no PM QoS CPU latency interface)` };
    return { ok: false, why: `${path}: ${(err as Error).message}` };
  }
  const value = Buffer.alloc(4);
  value.writeInt32LE(latencyUs, 0);
  try {
    writeSync(fd, value);
  } catch (err) {
    closeSync(fd);
    return { ok: false, why: `${path}: writing the request failed: ${(err as Error).message}` };
  }
  let open = true;
  return {
    ok: true,
    request: {
      path,
      latencyUs,
      release() {
        if (!open) return;
        open = false;
        closeSync(fd);
      },
    },
  };
}
