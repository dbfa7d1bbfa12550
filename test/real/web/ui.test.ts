/**
 * The web UI in a real headless browser (/usr/bin/chromium via playwright-core): the master page
 * shows a worker when it registers and DEAD when it is killed, an app's progress advances, a
 * worker's log link opens the executor's stderr. Skipped, saying so, without chromium.
 * FLINT_SCREENSHOTS=DIR also saves the screenshots the README shows.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { connect, type Cluster } from "../../../src/real/driver/api.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import { DIST_READY, FAST_PROTOCOL, ProcessTracker, kill, startTestCluster, waitFor } from "../cluster/harness.js";

const CHROMIUM = "/usr/bin/chromium";
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.warn(`web UI browser tests skipped: ${CHROMIUM} is missing`);
const CHATTY_APP = fileURLToPath(new URL("./apps/chatty.mjs", import.meta.url));
const SCREENSHOTS = process.env["FLINT_SCREENSHOTS"];

const tracker = new ProcessTracker();
let browser: Browser | undefined;
let cluster: LocalCluster | undefined;
let driver: Cluster | undefined;

beforeAll(async () => {
  if (HAVE_CHROMIUM && DIST_READY) browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await driver?.close().catch(() => {});
  driver = undefined;
  await cluster?.stop({ graceMs: 3_000 });
  cluster = undefined;
  expect(tracker.cleanup()).toEqual([]);
});

async function open(url: string): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  await page.goto(url);
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS !== undefined) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The text of the cells of `table#id`, row by row (live: the page replaces it every second). */
const rows = (page: Page, id: string): Promise<string[][]> =>
  page
    .locator(`#${id} tbody tr`)
    .evaluateAll((trs) =>
      trs.map((tr) =>
        Array.from((tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children, (td) => td.textContent ?? ""),
      ),
    );

describe.skipIf(!HAVE_CHROMIUM || !DIST_READY)("web UI in a browser", () => {
  it("master page: a worker appears when it registers and turns DEAD when killed -9; no cores or executors shown on it", async () => {
    cluster = await startTestCluster(tracker, 1, 1);
    const c = cluster;
    expect(c.master.webUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await open(c.master.webUrl!);
    expect(await page.title()).toContain("flint master");
    await page.waitForFunction('document.querySelectorAll("#workers tbody tr").length === 1');
    expect(await page.textContent("#recovery-state")).toBe("ALIVE");
    const added = await c.addWorker();
    tracker.track(added.pid);
    // No reload: the page updates itself.
    await page.waitForFunction('document.querySelectorAll("#workers tbody tr").length === 2', undefined, { timeout: 10_000 });
    expect((await rows(page, "workers")).map((r) => r[2])).toEqual(["ALIVE", "ALIVE"]);
    await shot(page, "master");
    kill(added.pid, "SIGKILL");
    await page.waitForFunction(
      '[...document.querySelectorAll("#workers tbody tr")].some((tr) => tr.children[2]?.textContent === "DEAD")',
      undefined,
      { timeout: 15_000 },
    );
    const dead = (await rows(page, "workers")).find((r) => r[2] === "DEAD")!;
    expect(dead[3]).toBe("0 / 1");
    expect(dead[5]).toBe("0");
    await page.close();
  }, 60_000);

  it("app page: a job's progress advances live; worker page: the log link opens the executor's stderr", async () => {
    cluster = await startTestCluster(tracker, 1, 2);
    const c = cluster;
    driver = await connect({
      master: c.masterUrl,
      module: CHATTY_APP,
      secret: c.secret,
      protocol: FAST_PROTOCOL,
      logger: createMemoryLogger("driver"),
      webUi: { port: 0 },
    });
    expect(driver.webUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const appPage = await open(driver.webUrl!);
    const job = driver.run(
      "chat",
      Array.from({ length: 40 }, (_, i) => ({ ms: 150, value: i })),
    );
    const finished = async (): Promise<number> => {
      const text = (await appPage.textContent("#jobs .count").catch(() => null)) ?? "0/40";
      return Number(text.split("/")[0]);
    };
    const first = await waitFor(
      "some progress on the page",
      async () => {
        const n = await finished();
        return n > 0 && n < 40 ? n : undefined;
      },
      15_000,
      100,
    );
    await shot(appPage, "app");
    const later = await waitFor(
      "more progress on the page",
      async () => {
        const n = await finished();
        return n > first ? n : undefined;
      },
      15_000,
      100,
    );
    expect(later).toBeGreaterThan(first);
    await job;
    await appPage.waitForFunction('document.querySelector("#jobs tbody tr td:nth-child(2)")?.textContent === "SUCCEEDED"', undefined, {
      timeout: 10_000,
    });
    expect(await appPage.textContent("#jobs .count")).toBe("40/40");
    expect((await rows(appPage, "executors")).length).toBeGreaterThan(0);
    await appPage.close();

    const workerPage = await open(c.workers[0]!.webUrl!);
    await workerPage.waitForSelector("#executors a");
    await shot(workerPage, "worker");
    const appId = driver.appId;
    const href = await workerPage.getAttribute(`#executors a[href^="/logs/${appId}/"][href$="/stderr"]`, "href");
    expect(href).toMatch(new RegExp(`^/logs/${appId}/\\d+/stderr$`));
    await workerPage.click(`#executors a[href="${href}"]`);
    await workerPage.waitForURL(`**${href}`);
    const shown = await workerPage.textContent("body");
    const execId = href!.split("/")[3]!;
    const onDisk = readFileSync(join(c.workDir, appId, execId, "stderr"), "utf8");
    expect(onDisk).toContain("chatty task");
    expect(shown).toContain("chatty task");
    expect(shown!.trim()).toBe(onDisk.trim());
    await workerPage.close();
    expect(readdirSync(join(c.workDir, appId)).length).toBeGreaterThan(0);
  }, 60_000);
});
