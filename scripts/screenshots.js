// `npm run screenshots`: the README's picture of the run viewer, docs/img/view-failover.png: the
// page `flint view` draws of scenarios/master-failover.json on its virtual time axis: the leader's
// lane ended by its crash, the standby's election selected, the old leader's restart below. Needs /usr/bin/chromium and `npm run build`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
if (!existsSync(CHROMIUM)) {
  console.error(`screenshots: ${CHROMIUM} is missing (apt-get install chromium)`);
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), "flint-screenshots-"));
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
try {
  const html = join(dir, "failover.html");
  const r = spawnSync(process.execPath, [here("../bin/flint.js"), "view", "scenarios/master-failover.json", "-o", html], {
    encoding: "utf8",
    cwd: here(".."),
  });
  if (r.status !== 0) throw new Error(`flint view failed: ${r.stderr}`);
  const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
  await page.goto(`file://${html}`);
  await page.waitForSelector("body[data-drawn]");
  // The whole run on the virtual time axis, with the standby's election (after the leader's crash) selected.
  await page.evaluate(() => {
    const v = window.flintView;
    const elected = v.panes[0].run.leaders.filter((l) => l.what === "elected");
    v.select(0, elected[elected.length - 1].row);
    const axis = document.getElementById("axis");
    axis.value = "time";
    axis.dispatchEvent(new Event("change"));
    document.getElementById("fit").click();
  });
  await page.waitForTimeout(200);
  mkdirSync(here("../docs/img"), { recursive: true });
  await page.screenshot({ path: here("../docs/img/view-failover.png") });
  console.log("wrote docs/img/view-failover.png");
} finally {
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
