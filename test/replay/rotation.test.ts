/**
 * The journal's size bound (issue 17): a segment that passes its size is closed, the next starts
 * with a snapshot of the state, and only the newest segments are kept. Replay starts from the
 * oldest kept snapshot and still reproduces every step; a step recorded differently is named.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { driver } from "../../src/protocol/driver/index.js";
import { executor } from "../../src/protocol/executor/index.js";
import { resolveConfig } from "../../src/protocol/config.js";
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
import { fileTempDir } from "../hygiene/tempDir.js";

const tmp = fileTempDir("flint-rotation-");
const M = "flint://127.0.0.1:7077" as Address;
const code: ReplayCode = { dist: "src", roles: { master, worker, driver, executor }, protocolVersion: PROTOCOL_VERSION };

/** A master journaled as a real host would: init, leadership, then 40 workers registering and beating. */
function recordMaster(dir: string): void {
  const journal = openJournal({ dir, role: "master", node: M, segmentBytes: 4_000, keepSegments: 2, pid: 1 });
  const config = { address: M, protocol: resolveConfig({}), seed: 7 };
  let now = 1_000_000;
  const init = master.init(structuredClone(config), { now });
  const state = init.state;
  journal.init(config, now, init.effects, () => state);
  const inputs: Input[] = [{ type: "leaderElected", stored: EMPTY_STORE }];
  for (let i = 0; i < 40; i++) {
    const w = `flint://127.0.0.1:${8000 + i}` as Address;
    const id = `worker-${i}` as never;
    inputs.push({
      type: "message",
      from: w,
      message: {
        type: "RegisterWorker",
        workerId: id,
        host: "127.0.0.1",
        port: 8000 + i,
        workerAddress: w,
        cores: 2,
        memoryMb: 1024,
        masterAddress: M,
      },
    });
    inputs.push({ type: "message", from: w, message: { type: "Heartbeat", workerId: id, workerAddress: w } });
  }
  inputs.forEach((input, k) => {
    now += 3;
    const json = JSON.stringify(input);
    const effects = master.step(state, input, { now });
    journal.step(k + 1, now, json, JSON.stringify(effects));
  });
  journal.close();
}

describe("journal rotation", () => {
  it("keeps the newest segments; replay starts from the oldest kept snapshot and matches every step", () => {
    const dir = join(tmp, "rotated");
    recordMaster(dir);
    const names = readdirSync(dir).sort((a, b) => Number(a.split(".").at(-2)) - Number(b.split(".").at(-2)));
    expect(names.length).toBe(2);
    expect(names[0]).not.toMatch(/\.0\.jsonl$/); // the first segments were deleted
    const header = JSON.parse(readFileSync(join(dir, names[0]!), "utf8").split("\n")[0]!) as {
      segment: number;
      firstStep: number;
      state: unknown;
    };
    expect(header.segment).toBeGreaterThan(1);
    expect(header.firstStep).toBeGreaterThan(1);
    expect(header.state).toBeTypeOf("object");
    const journals = readJournalDir(dir, PROTOCOL_VERSION);
    expect(journals).toHaveLength(1);
    expect(journals[0]!.records[0]!.s).toBe(header.firstStep);
    expect(journals[0]!.records.at(-1)!.s).toBe(81);
    const result = replay(journals, code);
    expect(result.divergence).toBeNull();
    expect(result.steps).toBe(81 - header.firstStep + 1);
    expect(result.violations).toEqual([]);
  });

  it("a record changed in a later segment is named by its step and file", () => {
    const dir = join(tmp, "changed");
    recordMaster(dir);
    // The kept segment that holds a registration's answer (steps after the oldest snapshot).
    const file = readdirSync(dir)
      .map((n) => join(dir, n))
      .find((f) =>
        readFileSync(f, "utf8")
          .split("\n")
          .slice(1)
          .some((l) => l.includes('"RegisteredWorker"')),
      )!;
    expect(file).toBeDefined();
    const lines = readFileSync(file, "utf8").split("\n");
    const k = lines.findIndex((l, i) => i > 0 && l.includes('"RegisteredWorker"'));
    const step = (JSON.parse(lines[k]!) as { s: number }).s;
    lines[k] = lines[k]!.replace('"RegisteredWorker"', '"RegisterWorkerFailed"');
    writeFileSync(file, lines.join("\n"));
    const result = replay(readJournalDir(dir, PROTOCOL_VERSION), code);
    expect(result.divergence).toMatchObject({ file, node: M, role: "master", step });
  });
});
