import { describe, expect, it } from "vitest";
import type { Input } from "../../src/protocol/io.js";
import { worker } from "../../src/protocol/worker/index.js";
import type { WorkerState } from "../../src/protocol/worker/state.js";
import { runScenario, type RoleSet } from "../../src/sim/cluster.js";
import { FORGED_MESSAGE_TYPES } from "../../src/sim/forge.js";
import { drawFaultPlan, drawSwarm } from "../../src/sim/fuzz/index.js";
import { ROLES } from "../../src/sim/roles.js";
import { parseScenario, ScenarioError, type Scenario } from "../../src/sim/scenario.js";
import type { AnyRole } from "../../src/sim/world.js";
import { loadScenario } from "./helpers.js";

/**
 * Spark's worker, which obeys any peer: the same reducer, handed every message as if its active
 * master had sent it (flint's authority check then has nothing to refuse).
 */
const TRUSTING_ROLES: RoleSet = {
  ...ROLES,
  worker: {
    ...worker,
    step: (s: WorkerState, input: Input, ctx: { now: number }) =>
      worker.step(s, input.type === "message" && s.masterAddress !== null ? { ...input, from: s.masterAddress } : input, ctx),
  } as AnyRole,
};

/** lost-tasks (3 workers, app pi running 120 tasks) with worker-2 forging `type` to another worker at 6 s. */
function forged(type: string, extra: Record<string, unknown> = {}): Scenario {
  const json = {
    name: `forge-${type}`,
    comment: `worker-2 sends a forged ${type} while app pi runs`,
    seed: 1,
    timeLimitMs: 300_000,
    cluster: { masters: 1, workers: [{ count: 3, cores: 4, memoryMb: 8192 }] },
    apps: [
      {
        name: "pi",
        submitAtMs: 500,
        coresPerExecutor: 2,
        jobs: [{ id: "pi-1", afterMs: 1000, stages: [{ tasks: 60, durationMs: 2000, jitterMs: 1000 }] }],
      },
    ],
    faults: [{ atMs: 6_000, kind: "forge", target: "worker-2", messageType: type, ...extra }],
    expect: { allJobsSucceed: true, faultsMustFire: true },
  };
  return parseScenario(json);
}

describe("sim: the forge fault", () => {
  it("forge: every forged order of a worker to another worker is refused, and the run passes", () => {
    for (const type of ["LaunchExecutor", "KillExecutor", "LaunchDriver", "ApplicationFinished"]) {
      const result = runScenario(forged(type), ROLES);
      expect(result.faults[0], type).toMatchObject({ kind: "forge", target: "worker-2", fired: true });
      expect(result.faults[0]!.detail, type).toMatch(new RegExp(`^worker-2 sends worker-\\d a forged ${type}$`));
      expect(result.verdict, type).toEqual({ ok: true, reasons: [] });
    }
  });

  it("forge: a worker that obeys any peer (Spark's) is caught by I16 for each forged order", () => {
    for (const type of ["LaunchExecutor", "KillExecutor", "LaunchDriver", "ApplicationFinished"]) {
      const result = runScenario(forged(type), TRUSTING_ROLES);
      expect(result.faults[0]!.fired, type).toBe(true);
      expect(
        result.violations.map((v) => v.check),
        type,
      ).toContain("I16:orders-from-current-master");
      expect(result.violations.find((v) => v.check === "I16:orders-from-current-master")!.detail, type).toContain(
        `obeyed ${type} from worker-2`,
      );
      expect(result.verdict.ok, type).toBe(false);
    }
  });

  it("forge: the trusting worker passes the same run without the forged message (the check is not a false alarm)", () => {
    const base = forged("LaunchExecutor");
    expect(runScenario({ ...base, faults: [] }, TRUSTING_ROLES).verdict).toEqual({ ok: true, reasons: [] });
  });

  it("forge: a forged order with no victim to send it to does not take effect, and says why", () => {
    const result = runScenario(forged("KillDriver"), ROLES);
    expect(result.faults[0]).toMatchObject({ fired: false, detail: "no running driver on a worker to forge a KillDriver for" });
  });

  it("forge: a scenario's forge fault needs a sender and a forgeable message type", () => {
    const bad = (fault: Record<string, unknown>) => () =>
      parseScenario({
        name: "x",
        comment: "y",
        timeLimitMs: 1000,
        cluster: { workers: [{ cores: 1, memoryMb: 1 }] },
        faults: [{ atMs: 0, kind: "forge", ...fault }],
      });
    expect(bad({ messageType: "LaunchExecutor" })).toThrow(ScenarioError);
    expect(bad({ target: "worker-1", messageType: "Heartbeat" })).toThrow(
      /faults\[0\]\.messageType: unknown forged message type "Heartbeat"/,
    );
    expect(bad({ target: "worker-1", messageType: "LaunchDriver" })).not.toThrow();
  });

  it("forge: the fuzzer draws forge faults for about half the seeds, from streams of their own", () => {
    const base = loadScenario("lost-tasks.json");
    let on = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const swarm = drawSwarm(base, seed);
      const plan = drawFaultPlan(base, seed);
      const mine = plan.faults.filter((f) => f.kind === "forge");
      expect(mine.length > 0, `seed ${seed}`).toBe(swarm.laterKinds.includes("forge"));
      if (mine.length > 0) on++;
      for (const f of mine) expect(FORGED_MESSAGE_TYPES as readonly string[]).toContain(f.messageType);
    }
    expect(on).toBeGreaterThan(8);
    expect(on).toBeLessThan(32);
  });
});
