#!/usr/bin/env node
// The flight recorder's CPU per no-op task, in one process (issue 17): the four steps a no-op task
// takes (the driver's RUNNING and FINISHED receipts, the executor's LaunchTask receipt and task
// end), each recorded the way the real host records it (src/real/journal/writer.ts `record`) into
// a real journal in a temporary folder, against the same loop without a journal (where the sends
// are serialized for the wire all the same). This is the recorder's own CPU; in a whole cluster
// (bench/real.js --journal-cost) the same work takes two to three times as long, run cold between
// messages (README). Steadier than `bench/real.js --journal-cost` on a busy
// machine, but it leaves out what a whole process adds (its heap, other work). Needs `npm run build`.
//
//   node bench/journal-step.js [--tasks N] [--rounds N]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { optionNumber } from "./lib/options.js";

const root = fileURLToPath(new URL("../", import.meta.url));
const { openJournal } = await import(`${root}dist/real/journal/writer.js`);

const TASKS = optionNumber("--tasks", 100_000);
const ROUNDS = optionNumber("--rounds", 5);

const DRIVER = "flint://127.0.0.1:40099";
const EXECUTOR = "flint://127.0.0.1:34265";

/** The four steps of no-op task `n`, as the real nodes see them: [input, its wire JSON, effects]. */
function taskSteps(n) {
  const task = {
    taskId: n + 2,
    attemptNumber: 0,
    executorId: "1",
    taskSetId: "job-1.0.0",
    index: n,
    cpus: 1,
    payload: { data: { module: "ae14bbc55d87adec5a9a35009c15336cf7135ea07708f78ce2d45c62c3ad9735", fn: "noop", input: n }, sizeBytes: 101 },
  };
  const launch = { type: "LaunchTask", task };
  const running = { type: "StatusUpdate", executorId: "1", taskId: n, state: "RUNNING", data: { kind: "none" }, taskCpus: 1 };
  const finished = {
    type: "StatusUpdate",
    executorId: "1",
    taskId: n,
    state: "FINISHED",
    data: { kind: "result", value: n, sizeBytes: 3 },
    taskCpus: 1,
  };
  return [
    // executor: LaunchTask arrives -> runTask, StatusUpdate RUNNING
    [
      { type: "message", from: DRIVER, message: launch },
      JSON.stringify(launch),
      [
        { type: "runTask", task },
        { type: "send", to: DRIVER, message: running },
      ],
    ],
    // executor: the task ends -> StatusUpdate FINISHED
    [
      { type: "taskFinished", taskId: n + 2, outcome: { kind: "success", value: n, sizeBytes: 3 } },
      undefined,
      [{ type: "send", to: DRIVER, message: finished }],
    ],
    // driver: RUNNING arrives
    [{ type: "message", from: EXECUTOR, message: running }, JSON.stringify(running), []],
    // driver: FINISHED arrives -> notify, the next LaunchTask, notify
    [
      { type: "message", from: EXECUTOR, message: finished },
      JSON.stringify(finished),
      [
        { type: "notify", notification: { kind: "taskEnded", jobId: "job-1", taskId: n, index: n, state: "FINISHED" } },
        { type: "send", to: EXECUTOR, message: launch },
        { type: "notify", notification: { kind: "jobProgress", jobId: "job-1", tasksFinished: n, tasksTotal: 1000 } },
      ],
    ],
  ];
}

let sink = 0;
/** CPU µs per task of TASKS tasks, with a journal or with only the wire encoding of the sends. */
function run(journal) {
  const start = process.cpuUsage();
  let seq = 0;
  for (let n = 0; n < TASKS; n++) {
    for (const [input, json, effects] of taskSteps(n)) {
      seq++;
      if (journal !== undefined) {
        // As the host does: an input that did not come over the wire is serialized before its step.
        const inputJson = json === undefined ? JSON.stringify(input) : undefined;
        const encoded = new Array(effects.length);
        journal.record(
          seq,
          1796553326861 + (seq >> 4),
          input,
          inputJson,
          json,
          effects,
          encoded,
          input.type === "message" ? { pid: 4242, step: seq, index: 1 } : undefined,
        );
        sink += encoded.length;
      } else {
        for (const e of effects) if (e.type === "send") sink += JSON.stringify(e.message).length;
      }
    }
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / TASKS;
}

const dir = mkdtempSync(join(tmpdir(), "flint-journal-step-"));
try {
  const on = [];
  const off = [];
  for (let round = 0; round < ROUNDS; round++) {
    off.push(run(undefined));
    const journal = openJournal({
      dir,
      role: "driver",
      node: DRIVER,
      pid: 4242 + round,
      onError: (e) => {
        throw e;
      },
    });
    journal.init({}, 0, [], () => null);
    on.push(run(journal));
    journal.close();
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const fmt = (x) => x.toFixed(2);
  console.log(`journal-step: ${TASKS} no-op tasks x ${ROUNDS} rounds (4 steps a task)`);
  console.log(`  without a journal: ${off.map(fmt).join(" ")} µs/task CPU (median ${fmt(median(off))})`);
  console.log(`  with a journal:    ${on.map(fmt).join(" ")} µs/task CPU (median ${fmt(median(on))})`);
  console.log(`  the recorder: ${fmt(median(on) - median(off))} µs per task (${fmt((median(on) - median(off)) / 4)} µs per step)`);
  if (sink === 0) console.log("(nothing was encoded)");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
