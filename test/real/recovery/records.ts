/** Small record factories shared by the recovery tests. */
import { address, appId, driverId, workerId } from "../../../src/protocol/ids.js";
import type { ApplicationDescription, DriverDescription } from "../../../src/protocol/messages.js";
import type { PersistedRecord } from "../../../src/protocol/records.js";

export function appRecord(id: string, name = "pi"): PersistedRecord {
  return {
    kind: "app",
    app: {
      id: appId(id),
      desc: { name } as unknown as ApplicationDescription,
      driverAddress: address("flint://127.0.0.1:4040"),
      startTimeMs: 1000,
    },
  };
}

export function driverRecord(id: string): PersistedRecord {
  return { kind: "driver", driver: { id: driverId(id), desc: { mainModule: "x" } as unknown as DriverDescription, startTimeMs: 2000 } };
}

export function workerRecord(id: string, cores = 4): PersistedRecord {
  return {
    kind: "worker",
    worker: { id: workerId(id), host: "127.0.0.1", port: 7078, address: address("flint://127.0.0.1:7078"), cores, memoryMb: 1024 },
  };
}
