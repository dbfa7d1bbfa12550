/**
 * `flint view` in a real headless browser (Debian's chromium driven by playwright-core): the page
 * of a run with a crash, a partition, a pause and an invariant violation puts each mark where the
 * run has it, opens on the violation, and a clicked step shows the node's state as `flint sim --json`
 * reports it; two seeds of one scenario open side by side at their first difference.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run as sim } from "../../src/cli/commands/sim.js";
import { run as view } from "../../src/cli/commands/view.js";
import { fileTempDir } from "../hygiene/tempDir.js";
import { captureOutput, SCENARIO_DIR } from "../sim/helpers.js";

// The page's globals, for the functions page.evaluate runs in the browser (the tests compile without the DOM library).
declare const document: { querySelector(selector: string): unknown };
declare const window: unknown;
declare const devicePixelRatio: number;
type HTMLCanvasElement = {
  getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
};

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`test/view: skipping the browser tests: ${CHROMIUM} is missing (apt-get install chromium)`);

const out = captureOutput();
const TMP = fileTempDir("flint-view-");

/** A museum scenario whose bug breaks I6 after a leader crash, with a partition and a pause added. */
function fixture(): string {
  const s = JSON.parse(readFileSync(join(SCENARIO_DIR, "museum", "SPARK-12552.json"), "utf8"));
  delete s.$schema;
  s.name = "view-fixture";
  s.faults.push(
    { atMs: 4000, kind: "partition", hosts: ["worker-3"], durationMs: 3000 },
    { atMs: 5000, kind: "pause", target: "worker-2", durationMs: 2000 },
  );
  const file = join(TMP, "fixture.json");
  writeFileSync(file, JSON.stringify(s));
  return file;
}

interface PageRun {
  step: number[];
  timeMs: number[];
  lane: number[];
  lanes: Array<{ name: string }>;
  lives: Array<{ lane: number; fromRow: number; toRow: number; endedBy: string }>;
  pauses: Array<{ lane: number; fromRow: number; toRow: number }>;
  partitions: Array<{ fromRow: number; toRow: number; lanes: number[] }>;
  violations: Array<{ row: number; check: string }>;
}

/** The colour of the canvas pixel at (x, y) in CSS pixels. */
async function pixel(page: Page, pane: number, x: number, y: number): Promise<[number, number, number, number]> {
  return page.evaluate(
    ([p, px, py]) => {
      const c = document.querySelector(`canvas[data-pane="${p}"]`) as HTMLCanvasElement;
      const d = c.getContext("2d")!.getImageData(Math.round(px! * devicePixelRatio), Math.round(py! * devicePixelRatio), 1, 1).data;
      return [d[0]!, d[1]!, d[2]!, d[3]!] as [number, number, number, number];
    },
    [pane, x, y],
  );
}

describe.skipIf(!HAVE_CHROMIUM)("flint view in a browser", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Errors the pages threw (checked at each page's end as well as on load). */
  const errors: string[] = [];
  async function open(file: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`file://${file}`);
    await page.waitForSelector("body[data-drawn]");
    expect(errors).toEqual([]);
    return page;
  }

  it("view: marks the crash, the partition, the pause and the violation where the run has them, and opens on the violation", async () => {
    const scenario = fixture();
    expect(await sim([scenario, "--json"])).toBe(1);
    const json = JSON.parse(out.stdout);
    const html = join(TMP, "run.html");
    expect(await view([scenario, "-o", html])).toBe(0);
    const page = await open(html);
    const run = (await page.evaluate(
      () => (window as unknown as { flintView: { panes: Array<{ run: unknown }> } }).flintView.panes[0]!.run,
    )) as PageRun;
    const laneOf = (name: string) => run.lanes.findIndex((l) => l.name === name);

    // The violation: at the step `flint sim --json` reports, and the detail panel opened on it.
    const violation = json.violations[0];
    expect(run.violations[0]).toMatchObject({ check: violation.check });
    expect(run.step[run.violations[0]!.row]).toBe(violation.step);
    await expect.poll(() => page.getAttribute("#detail", "data-step")).toBe(String(violation.step));
    expect(await page.textContent("#detail")).toContain(violation.check);

    // The crash: master-1's lane ends with a crash at its last step before the fault's time.
    const crash = json.faults.find((f: { kind: string }) => f.kind === "crash");
    const m1 = laneOf(crash.target);
    const life = run.lives.find((l) => l.lane === m1 && l.endedBy === "crash")!;
    expect(life).toBeDefined();
    expect(run.timeMs[life.toRow]).toBeLessThanOrEqual(crash.atMs);
    const nextM1 = run.lane.findIndex((l, r) => r > life.toRow && l === m1);
    expect(nextM1 === -1 || run.timeMs[nextM1]! >= crash.atMs).toBe(true);
    // ... drawn: the cross is red on the canvas.
    await page.evaluate((row) => (window as unknown as { flintView: { scrollTo(r: number): void } }).flintView.scrollTo(row), life.toRow);
    const [cx, cy] = await page.evaluate(
      ([lane, row]) => {
        const v = (window as unknown as { flintView: { laneX(p: number, l: number): number; rowY(p: number, r: number): number } })
          .flintView;
        return [v.laneX(0, lane!), v.rowY(0, row!)];
      },
      [m1, life.toRow],
    );
    const red = await pixel(page, 0, cx + 4, cy + 4);
    expect(red[0]).toBeGreaterThan(150);
    expect(red[1]).toBeLessThan(90);

    // The partition: a band over worker-3's lane from the fault's time to its heal.
    const part = json.faults.find((f: { kind: string }) => f.kind === "partition");
    const p = run.partitions[0]!;
    expect(p.lanes).toContain(laneOf("worker-3"));
    expect(run.timeMs[p.fromRow]).toBeGreaterThanOrEqual(part.atMs);
    expect(run.timeMs[p.fromRow - 1]).toBeLessThanOrEqual(part.atMs);
    expect(run.timeMs[p.toRow]).toBeGreaterThanOrEqual(part.atMs + 3000);

    // The pause: worker-2's lane greyed from the pause to the resume.
    const pause = run.pauses.find((x) => x.lane === laneOf("worker-2"))!;
    expect(run.timeMs[pause.fromRow]).toBeGreaterThanOrEqual(5000);
    expect(run.timeMs[pause.toRow]).toBeGreaterThanOrEqual(7000);

    const shot = join(TMP, "run.png");
    await page.screenshot({ path: shot });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    await page.close();
  });

  it("view: a clicked step shows the node's state after it, equal to `flint sim --json`'s, and the fields it changed", async () => {
    const scenario = join(SCENARIO_DIR, "master-failover.json");
    expect(await sim([scenario, "--json"])).toBe(0);
    const json = JSON.parse(out.stdout);
    const html = join(TMP, "failover.html");
    expect(await view([scenario, "-o", html])).toBe(0);
    const page = await open(html);
    const click = async (row: number, lane: number): Promise<void> => {
      await page.evaluate((r) => (window as unknown as { flintView: { scrollTo(r: number): void } }).flintView.scrollTo(r), row);
      const [x, y] = await page.evaluate(
        ([l, r]) => {
          const v = (window as unknown as { flintView: { laneX(p: number, l: number): number; rowY(p: number, r: number): number } })
            .flintView;
          return [v.laneX(0, l!), v.rowY(0, r!)];
        },
        [lane, row],
      );
      const box = (await page.locator('canvas[data-pane="0"]').boundingBox())!;
      await page.mouse.click(box.x + x, box.y + y);
      await expect.poll(() => page.getAttribute("#detail", "data-row")).toBe(String(row));
    };
    for (const node of ["master-2", "worker-1"]) {
      // The node's last step and its last step that changed something.
      const { last, lastChange, lane } = await page.evaluate((name) => {
        const r = (window as unknown as { flintView: { panes: Array<{ run: PageRun & { changes: number[]; strings: string[] } }> } })
          .flintView.panes[0]!.run;
        const lane = r.lanes.findIndex((l) => l.name === name);
        let lastChange = -1;
        for (let i = 0; i < r.lane.length; i++)
          if (r.lane[i] === lane && r.changes[i]! >= 0 && r.strings[r.changes[i]!] !== "[]") lastChange = i;
        return { last: r.lane.lastIndexOf(lane), lastChange, lane };
      }, node);
      await click(last, lane);
      expect(await page.getAttribute("#detail", "data-node")).toBe(node);
      const after = JSON.parse((await page.textContent("#state-after"))!);
      expect(after).toEqual(json.nodes[node].state);

      await click(lastChange, lane);
      const rows = page.locator("#detail-changes tr.changed");
      expect(await rows.count()).toBeGreaterThan(0);
      const [path, before, afterText] = await rows.first().locator("td").allTextContents();
      expect(before).not.toBe(afterText);
      // The highlighted field is the one that differs between the states shown before and after.
      const field = (state: unknown) => path!.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], state);
      const beforeState = JSON.parse((await page.textContent("#state-before"))!);
      const afterState = JSON.parse((await page.textContent("#state-after"))!);
      expect(field(beforeState)).not.toEqual(field(afterState));
    }
    await page.close();
  });

  it("view: typing node names shows only their lanes; following an id marks exactly the steps whose node, input or effects mention it", async () => {
    const scenario = join(SCENARIO_DIR, "lost-tasks.json");
    const trace = join(TMP, "lost.jsonl");
    expect(await sim([scenario, "--trace", trace, "--json"])).toBe(0);
    const timeline = JSON.parse(out.stdout).timeline as Array<{ text: string }>;
    const html = join(TMP, "lost.html");
    expect(await view([scenario, "-o", html])).toBe(0);
    const page = await open(html);
    await page.fill("#lanes", "worker-1, master");
    const shown = await page.evaluate(() => {
      const pane = (window as unknown as { flintView: { panes: Array<{ lanesShown: number[]; run: PageRun; draw(): void }> } }).flintView
        .panes[0]!;
      pane.draw();
      return pane.lanesShown.map((l) => pane.run.lanes[l]!.name);
    });
    expect(shown.length).toBeGreaterThan(1);
    expect(shown.every((n) => n.includes("worker-1") || n.includes("master"))).toBe(true);

    const lines = readFileSync(trace, "utf8").trim().split("\n");
    const id = timeline.map((e) => /app-\d+-\d+/.exec(e.text)?.[0]).find((x) => x !== undefined)!;
    expect(id).toBeDefined();
    await page.fill("#follow", id);
    await page.press("#follow", "Enter");
    const followed = await page.evaluate(() => {
      const pane = (window as unknown as { flintView: { panes: Array<{ follow: Uint8Array | null }> } }).flintView.panes[0]!;
      return pane.follow === null ? null : Array.from(pane.follow).flatMap((on, row) => (on ? [row] : []));
    });
    const expected = lines.flatMap((line, row) => (line.includes(id) ? [row] : []));
    expect(followed).toEqual(expected);

    // On the virtual time axis, heights follow the steps' times: steps of one ms share a height.
    await page.selectOption("#axis", "time");
    const heights = await page.evaluate(() => {
      const v = (window as unknown as { flintView: { panes: Array<{ run: PageRun; draw(): void }>; rowY(p: number, r: number): number } })
        .flintView;
      const run = v.panes[0]!.run;
      v.panes[0]!.draw();
      return [10, 200, 400, 600].map((row) => ({ t: run.timeMs[row]!, y: v.rowY(0, row) }));
    });
    const pxPerMs = (heights[3]!.y - heights[0]!.y) / (heights[3]!.t - heights[0]!.t);
    expect(pxPerMs).toBeGreaterThan(0);
    for (const h of heights) expect(h.y - heights[0]!.y).toBeCloseTo((h.t - heights[0]!.t) * pxPerMs, 3);
    const box = (await page.locator('canvas[data-pane="0"]').boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("view A B: two seeds side by side, opened at the first step where their traces differ", async () => {
    const scenario = join(SCENARIO_DIR, "partition-heal.json");
    const traces = [1, 2].map((seed) => join(TMP, `t${seed}.jsonl`));
    for (const [i, seed] of [1, 2].entries())
      expect(await sim([scenario, "--seed", String(seed), "--trace", traces[i]!, "--json"])).toBe(0);
    const [a, b] = traces.map((t) => readFileSync(t, "utf8").trim().split("\n"));
    const firstDiff = a!.findIndex((line, i) => line !== b![i]);
    expect(firstDiff).toBeGreaterThan(0);
    const html = join(TMP, "diff.html");
    expect(await view([scenario, "--seed", "1", "--seed2", "2", "-o", html])).toBe(0);
    const page = await open(html);
    expect(await page.locator("canvas").count()).toBe(2);
    expect(await page.textContent("#banner")).toContain(`first differ at step ${firstDiff}`);
    await expect.poll(() => page.getAttribute("#detail", "data-step")).toBe(String(firstDiff));
    await page.screenshot({ path: join(TMP, "diff.png") });
    await page.close();
  });
});
