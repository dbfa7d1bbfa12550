// Run viewer benchmark (`npm run bench -- view`): for big-cluster (about 470,000 events) and a
// small failover run, the time `flint view` takes to write the page, the page's size, the time
// Chromium takes to open it until its first paint, and the time of a redraw while scrolling and
// zooming (median and worst of 40). Needs /usr/bin/chromium. Run after `npm run build`:
//   node bench/view.js [--scenario scenarios/x.json ...]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const args = process.argv.slice(2);
const scenarios = args.includes("--scenario")
  ? args.filter((_, i) => args[i - 1] === "--scenario")
  : ["scenarios/master-failover.json", "scenarios/big-cluster.json"];

if (!existsSync(CHROMIUM)) {
  console.error(`bench/view: ${CHROMIUM} is missing (apt-get install chromium)`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), "flint-bench-view-"));
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
try {
  for (const scenario of scenarios) {
    const html = join(dir, "run.html");
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      ["--max-old-space-size=8000", here("../bin/flint.js"), "view", here(`../${scenario}`), "-o", html],
      { encoding: "utf8" },
    );
    const writeS = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`flint view ${scenario} failed: ${r.stderr}`);
    const sizeMb = statSync(html).size / 1e6;
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const t1 = performance.now();
    await page.goto(`file://${html}`, { timeout: 300_000 });
    await page.waitForSelector("body[data-drawn]", { timeout: 300_000 });
    const openS = (performance.now() - t1) / 1000;
    // Redraws: scroll down a screen at a time, then zoom out and in, timing each frame's drawing.
    const frames = await page.evaluate(() => {
      const v = window.flintView;
      const pane = v.panes[0];
      const times = [];
      const time = (f) => {
        f();
        const t = performance.now();
        pane.draw();
        times.push(performance.now() - t);
      };
      for (let i = 0; i < 20; i++) time(() => v.scrollTo(Math.floor((pane.run.step.length * i) / 20)));
      for (let i = 0; i < 10; i++) time(() => document.getElementById("zoom-out").click());
      for (let i = 0; i < 10; i++) time(() => document.getElementById("zoom-in").click());
      return { times, steps: pane.run.step.length, note: pane.run.statesNote };
    });
    const sorted = frames.times.slice().sort((a, b) => a - b);
    const median = sorted[sorted.length >> 1];
    const worst = sorted[sorted.length - 1];
    await page.close();
    console.log(
      `${scenario}: ${frames.steps} steps; write ${writeS.toFixed(1)} s, page ${sizeMb.toFixed(1)} MB, open to first paint ${openS.toFixed(1)} s, redraw median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms${frames.note ? ` (${frames.note})` : ""}`,
    );
  }
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
