/**
 * Spark's id formats: `app-<yyyyMMddHHmmss>-<NNNN>` and `driver-<yyyyMMddHHmmss>-<NNNN>`. The
 * counters are not persisted, so a new leader restarts them at 0; unlike Spark, flint skips any id
 * it already knows (recovered or completed) so that a failover within the same second cannot hand
 * out an id twice (I4, I12).
 */
import { formatTimestamp } from "../clock.js";
import { appId, driverId, type AppId, type DriverId } from "../ids.js";
import type { MasterState } from "./state.js";

const pad4 = (n: number): string => String(n).padStart(4, "0");

export function newApplicationId(s: MasterState, now: number): AppId {
  const stamp = formatTimestamp(now);
  for (;;) {
    const id = appId(`app-${stamp}-${pad4(s.nextAppNumber)}`);
    s.nextAppNumber += 1;
    if (!s.apps[id] && !s.completedApps.some((a) => a.id === id)) return id;
  }
}

export function newDriverId(s: MasterState, now: number): DriverId {
  const stamp = formatTimestamp(now);
  for (;;) {
    const id = driverId(`driver-${stamp}-${pad4(s.nextDriverNumber)}`);
    s.nextDriverNumber += 1;
    if (!s.drivers[id] && !s.completedDrivers.some((d) => d.id === id)) return id;
  }
}
