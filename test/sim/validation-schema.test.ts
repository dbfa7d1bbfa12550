/**
 * The scenario format's JSON Schema is generated from the same definition as the validator: the
 * checked-in file must be what `npm run schema` writes, and every shipped scenario names it. The
 * log event list selectors are checked against must hold only events the reducers emit.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LOG_EVENTS } from "../../src/protocol/log-events.js";
import { TIMER_KEY_PREFIXES, TIMER_KEYS } from "../../src/protocol/timer-keys.js";
import { ClusterRun, runScenario } from "../../src/sim/cluster.js";
import { ROLES } from "../../src/sim/roles.js";
import { parseScenario, scenarioSchemaText } from "../../src/sim/scenario.js";
import { loadScenario, SCENARIO_DIR, scenarioFiles } from "./helpers.js";

const ROOT = join(SCENARIO_DIR, "..");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

describe("scenario schema", () => {
  it("schema: scenarios/scenario.schema.json is what `npm run schema` generates (run it after changing the format)", () => {
    expect(readFileSync(join(SCENARIO_DIR, "scenario.schema.json"), "utf8")).toBe(scenarioSchemaText());
  });

  it("schema: every shipped scenario names the schema by its relative path, and the package ships it", () => {
    for (const f of scenarioFiles())
      expect(`${f}: ${JSON.parse(readFileSync(join(SCENARIO_DIR, f), "utf8")).$schema}`).toBe(`${f}: ./scenario.schema.json`);
    const museum = join(SCENARIO_DIR, "museum");
    for (const f of readdirSync(museum))
      expect(`${f}: ${JSON.parse(readFileSync(join(museum, f), "utf8")).$schema}`).toBe(`${f}: ../scenario.schema.json`);
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    expect(pkg.files).toContain("scenarios");
  });

  it("schema: the schema lists the selectors a scenario may use (editors complete them)", () => {
    const text = scenarioSchemaText();
    expect(text).toContain('"log:workerRemoved"');
    expect(text).toContain('"message:ReconnectWorker"');
    expect(text).not.toContain('"log:wrokerRemoved"');
  });

  it("log events: every declared event name is emitted somewhere in src/protocol (no stale name a selector could wait for in vain)", () => {
    const code = sources(join(ROOT, "src/protocol"))
      .filter((f) => !f.endsWith("log-events.ts"))
      .map((f) => readFileSync(f, "utf8"))
      .join("\n");
    const stale = LOG_EVENTS.filter((e) => !code.includes(JSON.stringify(e)));
    expect(stale).toEqual([]);
  });

  it("timer keys: every key the roles set in runs that exercise every role (failover, supervise, executor sync) is declared", () => {
    const seen = new Set<string>();
    for (const file of ["master-failover.json", "supervised-driver-relaunch.json", "executor-crash-loop.json", "worker-gives-up.json"]) {
      new ClusterRun(loadScenario(file), ROLES, {
        recordSink: (r) => {
          for (const e of r.effects) if (e.type === "setTimer") seen.add(e.key);
        },
      }).run();
    }
    const undeclared = [...seen].filter((k) => !TIMER_KEYS.includes(k) && !TIMER_KEY_PREFIXES.some((p) => k.startsWith(p)));
    expect(undeclared).toEqual([]);
    // And the runs did exercise the per-entity keys and most fixed ones.
    expect([...seen].some((k) => k.startsWith("executorStateSync:"))).toBe(true);
    expect(TIMER_KEYS.filter((k) => !seen.has(k))).toEqual([]);
  });

  it("readme: the example of 'Writing a scenario' loads and passes (its // notes stripped)", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const block = /## Writing a scenario[\s\S]*?```jsonc\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const scenario = parseScenario(JSON.parse(block!.replace(/\s+\/\/.*$/gm, "")));
    expect(scenario.expect.events.map((e) => e.before)).toEqual([1, undefined, undefined]);
    expect(runScenario(scenario, ROLES).verdict).toEqual({ ok: true, reasons: [] });
  });
});
