/** The master by phase (src/protocol/master/phases.ts): one table says what each recovery state accepts. */
import { describe, expect, it } from "vitest";
import { AssertionError, MESSAGE_TYPES, type AppId, type Message, type StoredRecords } from "../../../src/protocol/index.js";
import { MASTER_SENDERS } from "../../../src/protocol/master/authority.js";
import { MASTER_HANDLED_MESSAGES, MASTER_IGNORED_MESSAGES, MASTER_PHASES } from "../../../src/protocol/master/phases.js";
import { completeRecovery, COMPLETE_RECOVERY_TIMER } from "../../../src/protocol/master/recovery.js";
import {
  aliveMaster,
  appDesc,
  deliver,
  driverAddr,
  ignoredWhy,
  messagesOf,
  newMaster,
  registerWorkerMsg,
  step,
  T0,
  wid,
  workerAddr,
} from "./fixtures.js";

const stored: StoredRecords = {
  apps: [{ id: "app-20251231000000-0000" as AppId, desc: appDesc(), driverAddress: driverAddr(1), startTimeMs: T0 - 1000 }],
  drivers: [],
  workers: [{ id: wid(1), host: "host-1", port: 7001, address: workerAddr(1), cores: 4, memoryMb: 8192 }],
};
const submit: Message = { type: "RequestSubmitDriver", desc: { cores: 1, memoryMb: 256, supervise: false, command: {} } };
const NOT_ALIVE = /^Current state is not alive: (STANDBY|RECOVERING)\. Can only accept driver submissions in ALIVE state\.$/;

describe("master: phases", () => {
  it("every message type is handled or ignored, never both, and every phase has a rule for each handled one", () => {
    const handled = new Set<string>(MASTER_HANDLED_MESSAGES);
    const ignored = new Set<string>(MASTER_IGNORED_MESSAGES);
    for (const t of MESSAGE_TYPES) expect(handled.has(t) !== ignored.has(t), t).toBe(true);
    expect(handled.size + ignored.size).toBe(MESSAGE_TYPES.length);
    for (const rules of Object.values(MASTER_PHASES)) expect(Object.keys(rules).sort()).toEqual([...MASTER_HANDLED_MESSAGES].sort());
    // The authority table names who may send exactly the messages the master handles.
    expect(Object.keys(MASTER_SENDERS).sort()).toEqual([...MASTER_HANDLED_MESSAGES].sort());
  });

  it("STANDBY: a worker is told MasterInStandby, a submission refused as not alive; RECOVERING refuses it too; ALIVE accepts it", () => {
    const s = newMaster();
    expect(messagesOf(deliver(s, workerAddr(1), registerWorkerMsg(1)), "MasterInStandby")).toHaveLength(1);
    expect(messagesOf(deliver(s, "client", submit), "SubmitDriverResponse")[0]!.message).toMatch(NOT_ALIVE);
    const r = newMaster();
    step(r, { type: "leaderElected", stored });
    expect(r.recoveryState).toBe("RECOVERING");
    expect(messagesOf(deliver(r, "client", submit), "SubmitDriverResponse")[0]).toMatchObject({
      success: false,
      message: expect.stringMatching(NOT_ALIVE),
    });
    const a = aliveMaster();
    expect(messagesOf(deliver(a, "client", submit), "SubmitDriverResponse")[0]).toMatchObject({ success: true });
  });

  it("a message no phase handles is ignored as unexpected, in every phase", () => {
    for (const s of [newMaster(), aliveMaster()])
      expect(ignoredWhy(deliver(s, "x", { type: "MasterInStandby" }))).toEqual(["unexpected-message"]);
  });

  it("the completeRecovery timer outside RECOVERING is stale and said so; completeRecovery itself asserts its phase", () => {
    const a = aliveMaster();
    expect(ignoredWhy(step(a, { type: "timer", key: COMPLETE_RECOVERY_TIMER }))).toEqual(["recovery-not-in-progress"]);
    expect(a.recoveryState).toBe("ALIVE");
    expect(() => completeRecovery({ s: a, now: T0, fx: [] })).toThrow(AssertionError);
  });

  it("leaderElected is taken only by a standby", () => {
    const a = aliveMaster();
    expect(ignoredWhy(step(a, { type: "leaderElected", stored }))).toEqual(["already-leader"]);
  });
});
