/**
 * M9 (the master's limits): quiet on the real master's refusals at the limit, and fires on a
 * master that goes over a limit, refuses below it, or refuses without telling the asker.
 */
import { describe, expect, it } from "vitest";
import { address, type Effect, type Input, type Message } from "../../src/protocol/index.js";
import type { MasterState } from "../../src/protocol/master/state.js";
import { checkLimitsHeld, M9 } from "../../src/sim/invariants/master-limits.js";
import { newMasterLedger } from "../../src/sim/invariants/master.js";
import { aliveMaster, registerWorkerMsg, step, workerAddr } from "../protocol/master/fixtures.js";

const msg = (from: string, message: Message): Input => ({ type: "message", from: address(from), message });

function judge(s: MasterState, input: Input, effects: readonly Effect[]): string[] {
  const fired: string[] = [];
  checkLimitsHeld({
    key: "master-1#0",
    name: "master-1",
    s,
    input,
    effects,
    isLeader: true,
    ledger: newMasterLedger(),
    report: (c) => void fired.push(c),
  });
  return fired;
}

const submit = msg("client", { type: "RequestSubmitDriver", desc: { cores: 1, memoryMb: 512, supervise: false, command: {} } });

describe("M9: the master's limits", () => {
  it("M9: the real master admits up to maxWorkers and maxDrivers and refuses the next, telling the asker; that passes", () => {
    const s = aliveMaster({ maxWorkers: 1, maxDrivers: 1 });
    for (const n of [1, 2]) {
      const input = msg(workerAddr(n), registerWorkerMsg(n));
      expect(judge(s, input, step(s, input))).toEqual([]);
    }
    expect(Object.keys(s.addressToWorker)).toHaveLength(1);
    for (let i = 0; i < 2; i++) expect(judge(s, submit, step(s, submit))).toEqual([]);
    expect(Object.keys(s.drivers)).toHaveLength(1);
  });

  it("M9: a master over its limit, one refusing below it, and one whose refusal says success fire", () => {
    const s = aliveMaster({ maxWorkers: 1, maxDrivers: 1 });
    const first = msg(workerAddr(1), registerWorkerMsg(1));
    const fx = step(s, first);
    s.config.maxWorkers = 0; // as if it had admitted one worker over its limit
    expect(judge(s, first, fx)).toContain(M9);
    s.config.maxWorkers = 1;
    const second = msg(workerAddr(2), registerWorkerMsg(2));
    const refusal = step(s, second);
    delete s.addressToWorker[workerAddr(1)]; // refused while it held fewer
    expect(judge(s, second, refusal)).toContain(M9);
    step(s, submit);
    const refused = step(s, submit);
    const saysSuccess = refused.map((e) =>
      e.type === "send" && e.message.type === "SubmitDriverResponse" ? { ...e, message: { ...e.message, success: true } } : e,
    );
    expect(judge(s, submit, refused)).toEqual([]);
    expect(judge(s, submit, saysSuccess)).toContain(M9);
  });
});
