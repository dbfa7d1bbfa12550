/**
 * `flint view` and `flint sim --html/--chrome-trace` without a browser: what the files hold, the
 * inputs a run can come from, and bad input answered with a clear error.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run as sim } from "../../src/cli/commands/sim.js";
import { run as view } from "../../src/cli/commands/view.js";
import type { ViewRun } from "../../src/view/model.js";
import { fileTempDir } from "../hygiene/tempDir.js";
import { captureOutput, SCENARIO_DIR } from "../sim/helpers.js";

const out = captureOutput();
const TMP = fileTempDir("flint-view-cli-");
const scenario = (name: string) => join(SCENARIO_DIR, name);

/** The run data a page carries. */
function pageRuns(file: string): ViewRun[] {
  const html = readFileSync(file, "utf8");
  const m = /<script id="run-data" type="application\/json">(.*?)<\/script>/s.exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]!).runs;
}

describe("flint view (files)", () => {
  it("sim --html and --chrome-trace: the page is the run's (same trace hash, one row per step); the Chrome trace has a track per node, a slice per step, a flow per delivered message", async () => {
    const html = join(TMP, "lost.html");
    const chrome = join(TMP, "lost.chrome.json");
    const trace = join(TMP, "lost.jsonl");
    expect(await sim([scenario("lost-tasks.json"), "--json", "--html", html, "--chrome-trace", chrome, "--trace", trace])).toBe(0);
    const j = JSON.parse(out.stdout);
    const [runView] = pageRuns(html);
    expect(runView!.traceHash).toBe(j.traceHash);
    expect(runView!.step.length).toBe(j.counts.steps);
    expect(readFileSync(html, "utf8")).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!ui\.perfetto)/);
    const events = JSON.parse(readFileSync(chrome, "utf8")).traceEvents as Array<{
      ph: string;
      name: string;
      tid: number;
      args?: { name?: string };
    }>;
    const names = events.filter((e) => e.ph === "M" && e.name === "thread_name").map((e) => e.args!.name!.split(" ")[0]);
    expect(new Set(names)).toEqual(
      new Set(
        Object.keys(j.nodes)
          .filter((n) => n !== "client")
          .concat(names.includes("client") ? ["client"] : []),
      ),
    );
    expect(events.filter((e) => e.ph === "X")).toHaveLength(j.counts.steps);
    const lines = readFileSync(trace, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const deliveries = lines.filter((l) => l.input.type === "message").length;
    expect(events.filter((e) => e.ph === "f")).toHaveLength(deliveries);
    expect(events.filter((e) => e.ph === "s")).toHaveLength(deliveries);
  });

  it("view of a trace file: every step, messages matched to their sends, and a note that states need the scenario", async () => {
    const trace = join(TMP, "heal.jsonl");
    expect(await sim([scenario("partition-heal.json"), "--trace", trace, "--json"])).toBe(0);
    const j = JSON.parse(out.stdout);
    const html = join(TMP, "heal.html");
    expect(await view([trace, "-o", html])).toBe(0);
    const [v] = pageRuns(html);
    expect(v!.step.length).toBe(j.counts.steps);
    const delivered = v!.msgRecv.filter((r, i) => r >= 0 && v!.msgSend[i]! >= 0).length;
    expect(delivered).toBe(j.counts.messagesDelivered);
    expect(v!.statesNote).toContain("no states");
  });

  it("view of a fuzz failure's folder runs its shrunk scenario with the failure's seed", async () => {
    const dir = join(TMP, "failures", "x-seed-7");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "shrunk.json"), readFileSync(scenario("heartbeat-timeout.json")));
    writeFileSync(join(dir, "report.txt"), "check:    L1\nseed:     7\n");
    const html = join(TMP, "failure.html");
    expect(await view([dir, "-o", html])).toBe(0);
    const [v] = pageRuns(html);
    expect(v!.seed).toBe(7);
    expect(v!.source).toContain("shrunk.json --seed 7");
  });

  it("view --no-bugs: a museum scenario's fix and bug side by side, from the first step whose state the bug changes", async () => {
    const html = join(TMP, "bug.html");
    expect(await view([join(SCENARIO_DIR, "museum", "SPARK-12552.json"), "--no-bugs", "-o", html])).toBe(0);
    expect(out.stdout).toContain("first differ at step");
    const page = readFileSync(html, "utf8");
    const data = JSON.parse(/<script id="run-data" type="application\/json">(.*?)<\/script>/s.exec(page)![1]!);
    const [fixed, buggy] = data.runs as ViewRun[];
    expect(fixed!.violations).toEqual([]);
    expect(buggy!.violations.map((v) => v.check)).toContain("I6:executor-recorded-on-worker-and-app");
    const row = data.divergence.rows[0];
    expect(row).toBeLessThan(buggy!.step.length - 1);
    expect(fixed!.changes[row]).not.toBe(-1);
    expect(fixed!.strings[fixed!.changes[row]!]).not.toBe(buggy!.strings[buggy!.changes[row]!]);
  });

  it("view: bad input exits 2 with a message naming what is wrong", async () => {
    expect(await view([join(TMP, "missing.json")])).toBe(2);
    expect(out.stderr).toContain("no such file or folder");
    const journals = join(TMP, "cluster");
    mkdirSync(join(journals, "journal"), { recursive: true });
    expect(await view([journals])).toBe(2);
    expect(out.stderr).toContain("no *.N.jsonl files in it or in its journal/ folder");
    const bad = join(TMP, "bad.jsonl");
    writeFileSync(bad, '{"step":0,"t":0}\n');
    expect(await view([bad])).toBe(2);
    expect(out.stderr).toContain("not a trace record");
    expect(await view([scenario("lost-tasks.json"), "--seed", "x"])).toBe(2);
    expect(out.stderr).toContain("--seed x: not a whole number");
    expect(await view([])).toBe(2);
    expect(out.stderr).toContain("missing the run");
  });
});
