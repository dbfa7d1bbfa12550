/**
 * `flint view` of a journal whose oldest segments were rotated away: the node's lane starts at its
 * oldest kept snapshot (named so, not "init"), with the snapshot's state, and every later step's
 * state is the one replay rebuilds.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveConfig } from "../../src/protocol/config.js";
import { driver } from "../../src/protocol/driver/index.js";
import { executor } from "../../src/protocol/executor/index.js";
import type { Address } from "../../src/protocol/ids.js";
import type { Input } from "../../src/protocol/io.js";
import { master } from "../../src/protocol/master/index.js";
import { EMPTY_STORE } from "../../src/protocol/records.js";
import { worker } from "../../src/protocol/worker/index.js";
import { PROTOCOL_VERSION } from "../../src/real/handshake.js";
import { openJournal } from "../../src/real/journal/writer.js";
import type { ReplayCode } from "../../src/replay/code.js";
import { readJournalDir } from "../../src/replay/reader.js";
import { replay } from "../../src/replay/replay.js";
import { viewOfJournals } from "../../src/view/journals.js";
import { applyChanges, type StateChange } from "../../src/view/state-diff.js";
import { fileTempDir } from "../hygiene/tempDir.js";

const tmp = fileTempDir("flint-view-rotation-");
const M = "flint://127.0.0.1:7077" as Address;
const code: ReplayCode = { dist: "src", roles: { master, worker, driver, executor }, protocolVersion: PROTOCOL_VERSION };

/** A master journaled in small segments (only the newest two kept): leadership, then workers registering. */
function recordMaster(dir: string): void {
  const journal = openJournal({ dir, role: "master", node: M, segmentBytes: 4_000, keepSegments: 2, pid: 1 });
  const config = { address: M, protocol: resolveConfig({}), seed: 7 };
  let now = 1_000_000;
  const init = master.init(structuredClone(config), { now });
  const state = init.state;
  journal.init(config, now, init.effects, () => state);
  const inputs: Input[] = [{ type: "leaderElected", stored: EMPTY_STORE }];
  for (let i = 0; i < 30; i++) {
    const w = `flint://127.0.0.1:${8000 + i}` as Address;
    inputs.push({
      type: "message",
      from: w,
      message: {
        type: "RegisterWorker",
        workerId: `worker-${i}` as never,
        host: "127.0.0.1",
        port: 8000 + i,
        workerAddress: w,
        cores: 2,
        memoryMb: 1024,
        masterAddress: M,
      },
    });
  }
  inputs.forEach((input, k) => {
    now += 3;
    const effects = master.step(state, input, { now });
    journal.step(k + 1, now, JSON.stringify(input), JSON.stringify(effects));
  });
  journal.close();
}

describe("flint view of a rotated journal", () => {
  it("the lane starts at the oldest kept snapshot, and each step's state is replay's", () => {
    const dir = join(tmp, "rotated");
    recordMaster(dir);
    expect(readdirSync(dir).some((f) => f.endsWith(".0.jsonl"))).toBe(false);
    const journals = readJournalDir(dir, PROTOCOL_VERSION);
    const h = journals[0]!.header;
    expect(h.segment).toBeGreaterThan(0);
    const v = viewOfJournals(journals, code, { title: "rotated", source: dir });
    expect(v.verdict?.ok, v.verdict?.reasons.join("\n")).toBe(true);
    expect(v.strings[v.summary[0]!]).toBe(`snapshot (journal segment ${h.segment}, before step ${h.firstStep})`);
    expect(JSON.parse(v.strings[v.input[0]!]!)).toEqual({ type: "snapshot", segment: h.segment, firstStep: h.firstStep });
    expect(v.lives).toEqual([{ lane: 0, fromRow: 0, toRow: -1, endedBy: "" }]);
    // The states the page rebuilds from the recorded changes are replay's, step by step.
    const states: unknown[] = [];
    replay(readJournalDir(dir, PROTOCOL_VERSION), code, { onStep: (s) => states.push(JSON.parse(JSON.stringify(s.state))) });
    expect(states).toHaveLength(v.step.length);
    let state: unknown;
    for (let row = 0; row < v.step.length; row++) {
      state = applyChanges(state, JSON.parse(v.strings[v.changes[row]!]!) as StateChange[]);
      expect(state).toEqual(states[row]);
    }
  });
});
