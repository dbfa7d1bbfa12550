// `npm run bench`: runs every benchmark in this folder in turn (each prints its own numbers).
// Pass names to run a subset: `npm run bench -- sim codec`. `planted` (planted bugs vs the fuzz
// budget), `mutation` (the fuzzer's mutation score) and `view` (the run viewer on big-cluster) take minutes: they run only by name.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ORDER = ["sim", "fuzz", "codec", "transport", "floor", "journal-step", "real", "failover"];
const BY_NAME_ONLY = ["planted", "mutation", "view"];
const here = (name) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));
// Names first, then options for the benchmarks: `npm run bench -- planted --seeds 100`.
const args = process.argv.slice(2);
const firstOption = args.findIndex((a) => a.startsWith("--"));
const wanted = firstOption < 0 ? args : args.slice(0, firstOption);
const passThrough = firstOption < 0 ? [] : args.slice(firstOption);
const names = (wanted.length > 0 ? wanted : ORDER).filter((name) => {
  if (existsSync(here(name))) return true;
  if (wanted.length > 0)
    console.error(
      `bench: no benchmark named '${name}' (have: ${[...ORDER, ...BY_NAME_ONLY].filter((n) => existsSync(here(n))).join(", ")})`,
    );
  return false;
});

let failed = 0;
for (const name of names) {
  console.log(`\n=== bench/${name}.js`);
  const r = spawnSync(process.execPath, ["--expose-gc", here(name), ...passThrough], { stdio: "inherit" });
  if (r.status !== 0) {
    failed += 1;
    console.error(`bench/${name}.js exited with ${r.status ?? r.signal}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
