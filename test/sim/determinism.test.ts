import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { beforeAll, describe, expect, it } from "vitest";
import { runScenario } from "../../src/sim/cluster.js";
import { ROLES } from "../../src/sim/roles.js";
import { loadScenario, SCENARIO_DIR, scenarioFiles } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DIST_CLUSTER = fileURLToPath(new URL("../../dist/sim/cluster.js", import.meta.url));
const SEEDS = [1, 2, 3, 11, 42, 1234];
const SMALL = scenarioFiles().filter((f) => f !== "big-cluster.json");

/** Runs scenarios in a worker thread on the compiled simulator and returns their trace hashes. */
function hashesInWorker(jobs: Array<{ file: string; seed: number }>): Promise<string[]> {
  const code = `
    const { parentPort, workerData } = require("node:worker_threads");
    const { readFileSync } = require("node:fs");
    (async () => {
      const { runScenario } = await import(workerData.cluster);
      const { ROLES } = await import(workerData.roles);
      const { parseScenario } = await import(workerData.scenario);
      const out = [];
      for (const job of workerData.jobs) {
        const s = parseScenario(JSON.parse(readFileSync(workerData.dir + job.file, "utf8")));
        out.push(runScenario(s, ROLES, { seed: job.seed }).traceHash);
      }
      parentPort.postMessage(out);
    })().catch((e) => { throw e; });
  `;
  const url = (p: string) => new URL(`../../dist/sim/${p}`, import.meta.url).href;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, {
      eval: true,
      workerData: { jobs, dir: SCENARIO_DIR, cluster: url("cluster.js"), roles: url("roles.js"), scenario: url("scenario.js") },
    });
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

describe("sim determinism", () => {
  beforeAll(() => {
    // The worker thread runs the compiled simulator; `npm test` builds first, a lone run may not have.
    spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: ROOT, stdio: "ignore" });
    expect(existsSync(DIST_CLUSTER)).toBe(true);
  }, 120_000);

  it("determinism: the same scenario and seed give the same trace hash twice, for every scenario and many seeds", () => {
    for (const file of SMALL) {
      const scenario = loadScenario(file);
      for (const seed of SEEDS) {
        const a = runScenario(scenario, ROLES, { seed });
        const b = runScenario(scenario, ROLES, { seed });
        expect(`${file}#${seed}:${b.traceHash}`).toBe(`${file}#${seed}:${a.traceHash}`);
        expect(b.counts).toEqual(a.counts);
        expect(b.timeline).toEqual(a.timeline);
      }
    }
  });

  it("determinism: different seeds give different runs", () => {
    const scenario = loadScenario("master-failover.json");
    const hashes = new Set(SEEDS.map((seed) => runScenario(scenario, ROLES, { seed }).traceHash));
    expect(hashes.size).toBe(SEEDS.length);
  });

  it("determinism: a worker thread running the compiled simulator gets the same trace hashes as the main thread", async () => {
    const jobs = SMALL.flatMap((file) => SEEDS.slice(0, 3).map((seed) => ({ file, seed })));
    const inWorker = await hashesInWorker(jobs);
    const inMain = jobs.map(({ file, seed }) => runScenario(loadScenario(file), ROLES, { seed }).traceHash);
    expect(inWorker).toEqual(inMain);
  });

  it("determinism: recording the trace does not change the run", () => {
    const scenario = loadScenario("lost-tasks.json");
    let records = 0;
    const traced = runScenario(scenario, ROLES, { seed: 5, recordSink: () => records++ });
    const plain = runScenario(scenario, ROLES, { seed: 5 });
    expect(traced.traceHash).toBe(plain.traceHash);
    expect(records).toBe(plain.counts.steps);
  });
});
