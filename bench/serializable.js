// The check that task data travels unchanged (src/real/tasks/serializable.ts), next to the JSON
// encoding every task input and result goes through anyway. Run after `npm run build`:
// npm run bench -- serializable   (or node bench/serializable.js)
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

const dist = resolve(process.env.FLINT_DIST ?? new URL("../dist", import.meta.url).pathname);
const { notSerializable } = await import(pathToFileURL(`${dist}/real/tasks/serializable.js`).href);

const cases = {
  "a number (no-op task)": [42, 2_000_000],
  "a small object": [{ i: 7, name: "task-7", tags: ["a", "b"], ok: true }, 1_000_000],
  "1,000 numbers": [Array.from({ length: 1000 }, (_, i) => i * 1.5), 20_000],
  "100 small objects": [Array.from({ length: 100 }, (_, i) => ({ id: i, name: `n${i}`, v: [i, i + 1] })), 20_000],
};

function nsPerCall(fn, iterations) {
  for (let i = 0; i < Math.min(iterations, 20_000); i++) fn(); // warm up
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return ((performance.now() - start) * 1e6) / iterations;
}

let sink = 0;
console.log("value                    check (ns)   JSON.stringify (ns)   check / stringify");
for (const [name, [value, iterations]] of Object.entries(cases)) {
  const check = nsPerCall(() => (sink += notSerializable(value, "result") === undefined ? 1 : 0), iterations);
  const json = nsPerCall(() => (sink += JSON.stringify(value).length), iterations);
  console.log(
    `${name.padEnd(24)} ${check.toFixed(1).padStart(10)}   ${json.toFixed(1).padStart(19)}   ${(check / json).toFixed(2).padStart(17)}`,
  );
}
if (sink === 0) console.log("(nothing measured)");
