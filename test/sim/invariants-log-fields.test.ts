/**
 * N4: log effects carry the fields their event (or ignore reason) always carries. The table
 * (LOG_EVENT_FIELDS, IGNORE_REASON_FIELDS) is checked against what the roles emit in a run, and
 * the check fires on a log effect that lost one.
 */
import { describe, expect, it } from "vitest";
import { ignored, log, type Effect } from "../../src/protocol/index.js";
import { IGNORE_REASON_FIELDS, IGNORE_REASONS, LOG_EVENT_FIELDS, LOG_EVENTS } from "../../src/protocol/log-events.js";
import { runScenario } from "../../src/sim/cluster.js";
import { ROLES } from "../../src/sim/roles.js";
import { missingLogField } from "../../src/sim/invariants/log-fields.js";
import { loadScenario } from "./helpers.js";

describe("N4: log effects carry their declared fields", () => {
  it("N4: every declared event and reason has a row", () => {
    for (const e of LOG_EVENTS) if (e !== "ignored") expect(LOG_EVENT_FIELDS[e], e).toBeDefined();
    for (const r of IGNORE_REASONS) expect(IGNORE_REASON_FIELDS[r], r).toBeDefined();
  });

  it("N4: complete fields pass (more are allowed); a missing one fails, naming the event or reason and the field", () => {
    const ok: Effect[] = [
      log("info", "applicationRemoved", { appId: "app-1", state: "FINISHED", extra: 1 }),
      ignored("unknown-task", { taskId: 4, state: "LOST" }),
      log("info", "told-to-reregister-block-manager"),
    ];
    expect(missingLogField(ok)).toBeNull();
    expect(missingLogField([...ok, log("info", "applicationRemoved", { appId: "app-1" })])).toBe(
      "log event applicationRemoved does not carry its state",
    );
    expect(missingLogField([ignored("unknown-task", { state: "LOST" })])).toBe("an input ignored as unknown-task does not say its taskId");
    // An undefined value is still a field the emitter gave (JSON drops it; the line shows it as absent).
    expect(missingLogField([ignored("unknown-task", { taskId: undefined })])).toBeNull();
  });

  it("N4: a reason roles give with different fields is judged by the emitting role's row", () => {
    const driverUnknown = ignored("unknown-executor", { type: "LaunchedExecutor", executorId: "3" });
    expect(missingLogField([driverUnknown], "driver")).toBeNull();
    expect(missingLogField([ignored("unknown-executor", {})], "driver")).toBe("an input ignored as unknown-executor does not say its type");
    expect(missingLogField([driverUnknown], "master")).toBe("an input ignored as unknown-executor does not say its appId");
    expect(missingLogField([ignored("unknown-executor", { executor: "app-1/0" })], "worker")).toBeNull();
  });

  it("N4: the shipped scenarios' runs emit every field the table declares", () => {
    for (const file of ["master-failover.json", "lost-tasks.json", "dead-worker-culled.json"]) {
      const result = runScenario(loadScenario(file), ROLES, { seed: 1 });
      expect(
        result.violations.filter((v) => v.check.startsWith("N4")),
        file,
      ).toEqual([]);
    }
  });
});
