// Codec speed: encode (JSON.stringify + UTF-8) and decode (parse + validation against the compiled
// message schemas) of representative messages, and the cost of validation alone. Run after `npm run build` (or set FLINT_DIST to a
// compiled src/ tree): node bench/codec.js
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const dist = resolve(process.env.FLINT_DIST ?? new URL("../dist", import.meta.url).pathname);
const { encodeMessage, decodeMessage, validateMessage } = await import(pathToFileURL(`${dist}/real/codec.js`).href);
const { encodeFrame, FrameDecoder } = await import(pathToFileURL(`${dist}/real/framing.js`).href);

const samples = {
  ExecutorHeartbeat: { type: "ExecutorHeartbeat", executorId: "3" },
  LaunchTask: {
    type: "LaunchTask",
    task: {
      taskId: 123456,
      attemptNumber: 0,
      executorId: "3",
      taskSetId: "job-7.0.0",
      index: 4711,
      cpus: 1,
      payload: { data: { fn: "sample", args: [4711, 1000] }, sizeBytes: 32 },
    },
  },
  StatusUpdate: {
    type: "StatusUpdate",
    executorId: "3",
    taskId: 123456,
    state: "FINISHED",
    data: { kind: "result", value: 785398, sizeBytes: 6 },
    taskCpus: 1,
  },
  WorkerLatestState: {
    type: "WorkerLatestState",
    workerId: "worker-20240101000000-127.0.0.1-7078",
    executors: Array.from({ length: 16 }, (_, i) => ({
      appId: "app-20240101000000-0001",
      execId: i,
      cores: 1,
      memoryMb: 1024,
      state: "RUNNING",
    })),
    driverIds: [],
  },
};

function time(fn, iterations) {
  for (let i = 0; i < Math.min(iterations, 20_000); i++) fn(); // warm up
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return (performance.now() - start) / iterations; // ms per op
}

const N = Number(process.env.N ?? 200_000);
const rows = [];
for (const [name, message] of Object.entries(samples)) {
  const bytes = encodeMessage(message);
  const frame = encodeFrame(bytes);
  const encodeMs = time(() => encodeMessage(message), N);
  const decodeMs = time(() => decodeMessage(bytes), N);
  const parseOnlyMs = time(() => JSON.parse(bytes.toString("utf8")), N);
  const parsed = JSON.parse(bytes.toString("utf8"));
  const validateMs = time(() => validateMessage(parsed), N);
  const decoder = new FrameDecoder();
  const framedDecodeMs = time(() => {
    decoder.feed(frame);
    decodeMessage(decoder.next());
  }, N);
  rows.push({
    message: name,
    bytes: bytes.length,
    "encode us": +(encodeMs * 1000).toFixed(3),
    "decode us": +(decodeMs * 1000).toFixed(3),
    "JSON.parse only us": +(parseOnlyMs * 1000).toFixed(3),
    "validate only us": +(validateMs * 1000).toFixed(3),
    "unframe+decode us": +(framedDecodeMs * 1000).toFixed(3),
    "encode/s": Math.round((1 / encodeMs) * 1000),
    "decode/s": Math.round((1 / decodeMs) * 1000),
  });
}
console.log(`codec: JSON, ${N} iterations each, node ${process.version}`);
console.table(rows);
