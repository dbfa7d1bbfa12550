// Codec validation and decode speed of this build against another (a baseline dist/ tree, e.g. a
// copy of dist/ built from an earlier commit), interleaved round by round so that a busy machine
// slows both alike; prints medians and minimums of 7 rounds. Run after `npm run build`:
//   node bench/codec-compare.js /path/to/baseline/dist
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { samples } from "./codec-samples.js";

const baselineDir = process.argv[2];
if (baselineDir === undefined) {
  console.error("usage: node bench/codec-compare.js <baseline dist/ folder>");
  process.exit(2);
}
const dist = resolve(process.env.FLINT_DIST ?? new URL("../dist", import.meta.url).pathname);
const builds = [
  ["baseline", await import(pathToFileURL(`${resolve(baselineDir)}/real/codec.js`).href)],
  ["this", await import(pathToFileURL(`${dist}/real/codec.js`).href)],
];

const N = Number(process.env.N ?? 200_000);
const ROUNDS = 7;
function time(fn) {
  for (let i = 0; i < 20_000; i++) fn(); // warm up
  const start = performance.now();
  for (let i = 0; i < N; i++) fn();
  return ((performance.now() - start) / N) * 1000; // us per op
}

const runs = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, message] of Object.entries(samples)) {
    for (const [label, codec] of builds) {
      const bytes = codec.encodeMessage(message);
      const run = (runs[`${name} (${label})`] ??= { validate: [], decode: [] });
      run.validate.push(time(() => codec.validateMessage(message)));
      run.decode.push(time(() => codec.decodeMessage(bytes)));
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`codec: this build vs ${baselineDir}, ${N} iterations x ${ROUNDS} rounds, node ${process.version}`);
console.table(
  Object.entries(runs).map(([name, r]) => ({
    message: name,
    "validate us (median)": +median(r.validate).toFixed(3),
    "validate us (min)": +Math.min(...r.validate).toFixed(3),
    "decode us (median)": +median(r.decode).toFixed(3),
    "decode us (min)": +Math.min(...r.decode).toFixed(3),
  })),
);
