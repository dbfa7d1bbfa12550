// `npm run bench`: runs every benchmark in this folder in turn (each prints its own numbers).
// Pass names to run a subset: `npm run bench -- sim codec`.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ORDER = ["sim", "fuzz", "codec", "transport", "floor", "real", "failover"];
const here = (name) => fileURLToPath(new URL(`./${name}.js`, import.meta.url));
const wanted = process.argv.slice(2);
const names = (wanted.length > 0 ? wanted : ORDER).filter((name) => {
  if (existsSync(here(name))) return true;
  if (wanted.length > 0) console.error(`bench: no benchmark named '${name}' (have: ${ORDER.filter((n) => existsSync(here(n))).join(", ")})`);
  return false;
});

let failed = 0;
for (const name of names) {
  console.log(`\n=== bench/${name}.js`);
  const r = spawnSync(process.execPath, ["--expose-gc", here(name)], { stdio: "inherit" });
  if (r.status !== 0) {
    failed += 1;
    console.error(`bench/${name}.js exited with ${r.status ?? r.signal}`);
  }
}
process.exitCode = failed > 0 ? 1 : 0;
