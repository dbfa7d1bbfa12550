import { describe, expect, it } from "vitest";
import { checkDriverInvariants, type DriverRoleState } from "../../../src/protocol/driver/index.js";
import type { DriverStep } from "../../../src/protocol/driver/state.js";
import { NO_DAG_EVENTS } from "../../../src/protocol/driver/state.js";
import { resourceOffers, resourceOffersForExecutor } from "../../../src/protocol/driver/taskScheduler.js";
import { addExecutor, eid, registeredDriver, submit, taskSet, T0 } from "./fixtures.js";

const stepOf = (s: DriverRoleState): DriverStep => ({ s, now: T0, fx: [], reviveRequested: false, dagEvents: NO_DAG_EVENTS });

/** A driver with two task sets in its pool (two jobs), every core of its one executor taken. */
function busyDriver(cpusPerTask?: number): DriverRoleState {
  const s = registeredDriver();
  addExecutor(s, 1, 2);
  submit(s, "a", taskSet(5, cpusPerTask));
  submit(s, "b", taskSet(5));
  return s;
}

describe("driver: offers for one executor (makeOffers(executorId))", () => {
  for (const [cores, cpusPerTask] of [
    [4, undefined],
    [3, 2],
    [1, undefined],
    [0, undefined],
  ] as const) {
    it(`offers: one executor with ${cores} free cores (task cpus ${cpusPerTask ?? 1}) launches exactly what resourceOffers([offer]) launches`, () => {
      const a = busyDriver(cpusPerTask);
      const b = structuredClone(a);
      const viaList = resourceOffers(stepOf(a), [{ executorId: eid(2), host: "host-2", cores }]);
      const viaOne = resourceOffersForExecutor(stepOf(b), eid(2), "host-2", cores);
      expect(viaOne).toEqual(viaList);
      expect(b).toEqual(a);
      expect(checkDriverInvariants(b).filter((p) => !p.includes("executor 2"))).toEqual(
        checkDriverInvariants(a).filter((p) => !p.includes("executor 2")),
      );
    });
  }

  it("offers: with nothing pending, one executor's offer launches nothing and allocates no list", () => {
    const s = registeredDriver();
    addExecutor(s, 1, 2);
    const first = resourceOffersForExecutor(stepOf(s), eid(1), "host-1", 2);
    expect(first).toEqual([]);
    expect(resourceOffersForExecutor(stepOf(s), eid(1), "host-1", 2)).toBe(first);
  });
});
