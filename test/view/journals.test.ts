/**
 * `flint view DIR` of a real cluster's journals: a small real cluster journals a job while one of
 * its executors is killed with -9; the page has lanes for the master, the workers, the executors
 * and the driver, a crash where the executor was killed, messages paired as replay pairs them, and
 * a clicked step shows the node's state as `flint replay` rebuilds it. Bad journals exit 2.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as view } from "../../src/cli/commands/view.js";
import type { LocalCluster } from "../../src/real/cluster/local.js";
import { connect } from "../../src/real/driver/api.js";
import { createMemoryLogger } from "../../src/real/log.js";
import type { Effect } from "../../src/protocol/index.js";
import { loadCode, type ReplayCode } from "../../src/replay/code.js";
import { readJournalDir } from "../../src/replay/reader.js";
import { replay } from "../../src/replay/replay.js";
import { viewOfJournals } from "../../src/view/journals.js";
import type { ViewRun } from "../../src/view/model.js";
import { firstDifference } from "../../src/view/page.js";
import { fileTempDir } from "../hygiene/tempDir.js";
import {
  DIST_READY,
  expected,
  executorsUnder,
  FAST_PROTOCOL,
  kill,
  ProcessTracker,
  runUntil,
  SLOW_APP,
  startTestCluster,
  waitFor,
} from "../real/cluster/harness.js";
import { captureOutput } from "../sim/helpers.js";

declare const window: unknown;
declare const document: { querySelector(selector: string): unknown };
declare const devicePixelRatio: number;
type HTMLCanvasElement = {
  getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
};

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const out = captureOutput();
const tracker = new ProcessTracker();
const tmp = fileTempDir("flint-view-journals-");
const journal = join(tmp, "journal");
let cluster: LocalCluster | undefined;
/** The pid of the executor killed with -9. */
let killedPid = 0;
/** When it was killed (ms since the epoch). */
let killedAtMs = 0;

function pageRun(file: string): ViewRun {
  const html = readFileSync(file, "utf8");
  const m = /<script id="run-data" type="application\/json">(.*?)<\/script>/s.exec(html)!;
  return (JSON.parse(m[1]!.replace(/\\u003c/g, "<")) as { runs: ViewRun[] }).runs[0]!;
}

describe.skipIf(!DIST_READY)("flint view of a real cluster's journals", () => {
  beforeAll(async () => {
    cluster = await startTestCluster(tracker);
    const c = cluster;
    const d = await connect({
      master: c.masterUrl,
      module: SLOW_APP,
      secret: c.secret,
      protocol: FAST_PROTOCOL,
      logger: createMemoryLogger("driver"),
      journal: c.journalDir!,
    });
    const run = runUntil(d, 16, 100, 3);
    await run.reached;
    killedPid = executorsUnder(c.workers[0]!.pid)[0] ?? executorsUnder(c.workers[1]!.pid)[0]!;
    // Killed once its journal has its header (an executor killed before its first flush leaves an empty file, which replay refuses).
    await waitFor(
      "the executor's journal header",
      () => readdirSync(c.journalDir!).some((f) => f.endsWith(`-${killedPid}.0.jsonl`) && statSync(join(c.journalDir!, f)).size > 0),
      5_000,
    );
    killedAtMs = Date.now();
    kill(killedPid, "SIGKILL");
    expect(await run.job).toEqual(expected(16));
    await d.close();
    await c.stop({ graceMs: 3_000, keepDir: true });
    cpSync(c.journalDir!, journal, { recursive: true });
    rmSync(c.dir, { recursive: true, force: true });
    cluster = undefined;
  }, 120_000);

  afterAll(async () => {
    if (cluster) await cluster.stop({ graceMs: 3_000 });
    expect(tracker.cleanup()).toEqual([]);
  });

  it("lanes for every recorded node, the killed executor's life ends in a crash, messages go from send to delivery", async () => {
    const html = join(tmp, "cluster.html");
    expect(await view([journal, "-o", html]), out.stderr).toBe(0);
    expect(out.stdout).toContain(`wrote ${html}`);
    const run = pageRun(html);
    const kinds = new Set(run.lanes.map((l) => l.kind));
    for (const kind of ["master", "worker", "executor", "driver"]) expect(kinds.has(kind), kind).toBe(true);
    expect(run.lanes.filter((l) => l.kind === "worker")).toHaveLength(2);
    expect(run.verdict?.ok, run.verdict?.reasons.join("\n")).toBe(true);
    expect(run.statesNote).toBeNull();

    // The killed executor: its journal names its node; its lane's life ends in a crash at its last recorded step.
    const file = readdirSync(journal).find((f) => f.startsWith("executor-") && f.endsWith(`-${killedPid}.0.jsonl`))!;
    expect(file).toBeDefined();
    const header = JSON.parse(readFileSync(join(journal, file), "utf8").split("\n")[0]!) as { node: string; initNow: number };
    const lane = run.lanes.findIndex((l) => l.kind === "executor" && l.name.endsWith(header.node.replace("flint://", "")));
    expect(lane).toBeGreaterThanOrEqual(0);
    const life = run.lives.find((l) => l.lane === lane)!;
    expect(life.endedBy).toBe("crash");
    expect(run.lane.lastIndexOf(lane)).toBe(life.toRow);
    // Time is real ms from the first node's start: the crash's last step is before the kill.
    const t0 = Math.min(
      ...readdirSync(journal).map(
        (f) => (JSON.parse(readFileSync(join(journal, f), "utf8").split("\n")[0]!) as { initNow: number }).initNow,
      ),
    );
    expect(run.timeMs[life.toRow]!).toBeLessThanOrEqual(killedAtMs - t0);
    expect(run.timeMs[life.fromRow]!).toBeGreaterThanOrEqual(header.initNow - t0 - 1);
    // The other executors and the nodes that were stopped at the end are not drawn as crashed.
    expect(run.lives.filter((l) => l.endedBy === "crash").map((l) => l.lane)).toEqual([lane]);

    // Messages: delivered ones go from a send row on the sender's lane to a later row on the receiver's.
    const delivered = run.msgFate.flatMap((f, i) => (f === 0 ? [i] : []));
    expect(delivered.length).toBeGreaterThan(50);
    for (const i of delivered) {
      expect(run.lane[run.msgSend[i]!]).toBe(run.msgFrom[i]);
      expect(run.lane[run.msgRecv[i]!]).toBe(run.msgTo[i]);
      expect(run.msgRecv[i]!).toBeGreaterThan(run.msgSend[i]!);
    }
    // The master's election is a leader mark on its lane.
    const master = run.lanes.findIndex((l) => l.kind === "master");
    expect(run.leaders.some((x) => x.lane === master && x.what === "elected")).toBe(true);
  });

  it.skipIf(!HAVE_CHROMIUM)(
    "in a browser: clicking a step shows the node's state as replay rebuilds it",
    async () => {
      const html = join(tmp, "browse.html");
      expect(await view([journal, "-o", html])).toBe(0);
      const run = pageRun(html);
      // What replay computes: each step's state, by the order the page's rows have.
      const code = await loadCode();
      const statesByRow: unknown[] = [];
      replay(readJournalDir(journal, code.protocolVersion), code, { onStep: (s) => statesByRow.push(JSON.parse(JSON.stringify(s.state))) });
      expect(statesByRow).toHaveLength(run.step.length);

      const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      try {
        const errors: string[] = [];
        const page: Page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        page.on("pageerror", (e) => errors.push(String(e)));
        await page.goto(`file://${html}`);
        await page.waitForSelector("body[data-drawn]");
        for (const kind of ["worker", "driver", "master"]) {
          const lane = run.lanes.findIndex((l) => l.kind === kind);
          // A step in the middle of the node's steps, and its last.
          const rows = run.lane.flatMap((l, r) => (l === lane ? [r] : []));
          for (const row of [rows[rows.length >> 1]!, rows[rows.length - 1]!]) {
            await page.evaluate((r) => (window as { flintView: { scrollTo(r: number): void } }).flintView.scrollTo(r), row);
            const [x, y] = await page.evaluate(
              ([l, r]) => {
                const v = (window as { flintView: { laneX(p: number, l: number): number; rowY(p: number, r: number): number } }).flintView;
                return [v.laneX(0, l!), v.rowY(0, r!)];
              },
              [lane, row],
            );
            const box = (await page.locator('canvas[data-pane="0"]').boundingBox())!;
            await page.mouse.click(box.x + x, box.y + y);
            await expect.poll(() => page.getAttribute("#detail", "data-row")).toBe(String(row));
            expect(await page.getAttribute("#detail", "data-node")).toBe(run.lanes[lane]!.name);
            expect(JSON.parse((await page.textContent("#state-after"))!)).toEqual(statesByRow[row]);
          }
        }
        // The crash is drawn where the killed executor's lane ends: a red cross.
        const crashed = run.lives.find((l) => l.endedBy === "crash")!;
        await page.evaluate((r) => (window as { flintView: { scrollTo(r: number): void } }).flintView.scrollTo(r), crashed.toRow);
        const [cx, cy] = await page.evaluate(
          ([l, r]) => {
            const v = (window as { flintView: { laneX(p: number, l: number): number; rowY(p: number, r: number): number } }).flintView;
            return [v.laneX(0, l!), v.rowY(0, r!)];
          },
          [crashed.lane, crashed.toRow],
        );
        const red = await page.evaluate(
          ([px, py]) => {
            const c = document.querySelector('canvas[data-pane="0"]') as HTMLCanvasElement;
            return Array.from(
              c.getContext("2d")!.getImageData(Math.round(px! * devicePixelRatio), Math.round(py! * devicePixelRatio), 1, 1).data,
            );
          },
          [cx + 4, cy + 4],
        );
        expect(red[0]).toBeGreaterThan(150);
        expect(red[1]).toBeLessThan(90);
        expect(errors).toEqual([]);
        await page.close();
      } finally {
        await browser.close();
      }
    },
    60_000,
  );

  it("two runs: the same journals are the same step for step (real clocks are not compared); without the killed executor's journal they differ where it started", async () => {
    const copy = join(tmp, "copy");
    cpSync(journal, copy, { recursive: true });
    const same = join(tmp, "same.html");
    expect(await view([journal, copy, "-o", same])).toBe(0);
    expect(out.stdout).toContain("the runs are the same, step for step");
    expect(readFileSync(same, "utf8")).toContain('<option value="time">real time</option>');
    // Two real runs never read their clocks alike: a run whose steps came a minute later is the same run.
    const a = pageRun(same);
    const later: ViewRun = { ...a, timeMs: a.timeMs.map((t) => t + 60_000) };
    expect(firstDifference(a, later)).toBeNull();
    expect(firstDifference({ ...a, clock: "virtual" }, { ...later, clock: "virtual" })).not.toBeNull();

    const fewer = join(tmp, "fewer");
    cpSync(journal, fewer, { recursive: true });
    rmSync(join(fewer, readdirSync(fewer).find((f) => f.startsWith("executor-") && f.endsWith(`-${killedPid}.0.jsonl`))!));
    const killedLane = a.lives.find((l) => l.endedBy === "crash")!;
    expect(await view([journal, fewer, "-o", join(tmp, "fewer.html")])).toBe(0);
    expect(out.stdout).toContain(`first differ at step ${a.step[killedLane.fromRow]}: A: `);
    expect(out.stdout).toContain(`${a.lanes[killedLane.lane]!.name}: init`);
  });

  it("a violation the replay's checks find is marked at the step that broke it, and the run goes on past it; a step that replays otherwise is marked on its node", async () => {
    const code = await loadCode();
    const journals = readJournalDir(journal, code.protocolVersion);
    const clean = viewOfJournals(journals, code, { title: "clean", source: journal });
    // A planted slip that changes no effect: after the step that first launches an executor, the master
    // over-counts the cores used on its worker (put back at its next step, so that nothing after differs).
    const master = code.roles.master;
    let planted = false;
    let restore: (() => void) | null = null;
    type MasterState = { workers: Record<string, { address: string; cores: number; coresUsed: number }> };
    const overcounting: ReplayCode = {
      ...code,
      roles: {
        ...code.roles,
        master: {
          ...master,
          step: (s: MasterState, input: never, ctx: never) => {
            restore?.();
            restore = null;
            const effects = master.step(s, input, ctx) as Effect[];
            const launch = effects.find((e) => e.type === "send" && e.message.type === "LaunchExecutor");
            if (launch !== undefined && launch.type === "send" && !planted) {
              planted = true;
              const w = Object.values(s.workers).find((x) => x.address === launch.to)!;
              const used = w.coresUsed;
              w.coresUsed = w.cores + 5;
              restore = () => (w.coresUsed = used);
            }
            return effects;
          },
        },
      },
    };
    const v = viewOfJournals(readJournalDir(journal, code.protocolVersion), overcounting, { title: "planted", source: journal });
    expect(planted).toBe(true);
    expect(v.verdict?.ok).toBe(false);
    expect(v.violations[0]).toMatchObject({ check: "I1:worker-not-overcommitted", lane: v.lanes.findIndex((l) => l.kind === "master") });
    const row = v.violations[0]!.row;
    const effects = v.effectSummary.slice(v.effectStart[row]!, v.effectStart[row + 1]!).map((id) => v.strings[id]!);
    expect(effects.some((e) => e.includes("LaunchExecutor"))).toBe(true);
    expect(v.step.length).toBe(clean.step.length);

    // A slip that changes an effect: replay stops at that step, marked on its node at the end of what was drawn.
    const worker = code.roles.worker;
    const slipping: ReplayCode = {
      ...code,
      roles: {
        ...code.roles,
        worker: {
          ...worker,
          step: (s: unknown, input: { type: string }, ctx: unknown) => [
            ...(worker.step(s, input as never, ctx as never) as Effect[]),
            ...(input.type === "timer" ? [{ type: "exit" as const, code: 99, reason: "planted" }] : []),
          ],
        },
      },
    };
    const d = viewOfJournals(readJournalDir(journal, code.protocolVersion), slipping, { title: "slip", source: journal });
    expect(d.verdict?.ok).toBe(false);
    expect(d.verdict?.reasons[0]).toMatch(/^worker flint:\/\/\S+: step \d+ gives other effects than recorded/);
    expect(d.violations).toHaveLength(1);
    expect(d.violations[0]).toMatchObject({ check: "replay", row: d.step.length - 1 });
    expect(d.lanes[d.violations[0]!.lane]!.kind).toBe("worker");
    expect(d.step.length).toBeLessThan(clean.step.length);
  });

  it("a journal left empty by a process killed before its first write is named in the verdict, and the rest drawn", async () => {
    const dir = join(tmp, "with-empty");
    cpSync(journal, dir, { recursive: true });
    const emptyFile = join(dir, "executor-127.0.0.1_1-99999.0.jsonl");
    writeFileSync(emptyFile, "");
    const html = join(tmp, "with-empty.html");
    expect(await view([dir, "-o", html]), out.stderr).toBe(0);
    const run = pageRun(html);
    expect(run.verdict?.reasons).toContain(`${emptyFile} is empty (its process was killed before it wrote anything): not drawn`);
    const code = await loadCode();
    expect(run.step.length).toBe(
      viewOfJournals(readJournalDir(journal, code.protocolVersion), code, { title: "all", source: journal }).step.length,
    );
    // Only the viewer leaves it out: replay still refuses a journal it cannot check.
    expect(() => readJournalDir(dir, code.protocolVersion)).toThrow(/empty file \(no header\)/);
  });

  it("bad input: no journals, a corrupt journal, a seed for journals: exit 2 naming what is wrong", async () => {
    const empty = join(tmp, "empty");
    mkdirSync(empty);
    expect(await view([empty])).toBe(2);
    expect(out.stderr).toContain("no *.N.jsonl files");

    const corrupt = join(tmp, "corrupt");
    cpSync(journal, corrupt, { recursive: true });
    const worker = readdirSync(corrupt).find((f) => f.startsWith("worker-"))!;
    const lines = readFileSync(join(corrupt, worker), "utf8").split("\n");
    lines[3] = "{not json";
    writeFileSync(join(corrupt, worker), lines.join("\n"));
    expect(await view([corrupt, "-o", join(tmp, "x.html")])).toBe(2);
    expect(out.stderr).toMatch(new RegExp(`flint view: bad journal .*${worker}:4: corrupt record`));
    expect(existsSync(join(tmp, "x.html"))).toBe(false);

    // A `flint local` cluster's folder: the journals in its journal/ folder.
    const folder = join(tmp, "local-cluster");
    cpSync(journal, join(folder, "journal"), { recursive: true });
    expect(await view([folder, "-o", join(tmp, "folder.html")])).toBe(0);

    expect(await view([journal, "--seed", "3"])).toBe(2);
    expect(out.stderr).toContain("--seed, --seed2, --bug and --no-bugs do not apply");
  });
});
