/**
 * A master configured by another name than the one it announces (`localhost` for a master that
 * announces 127.0.0.1): the worker and the driver reach it by the alias, the master answers as
 * 127.0.0.1, and the job still runs. Before the worker took the active master's orders by the name
 * it dialed too, the worker registered but refused every LaunchExecutor (not-from-active-master)
 * and the job hung. Runs `node bin/flint.js` from dist/ (build first: `npm run build`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DIST_READY, FLINT_BIN, ROOT, waitFor } from "./harness.js";

const dir = mkdtempSync(join(tmpdir(), "flint-alias-"));
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await Promise.all(
    children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : undefined)),
  );
  rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function start(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [FLINT_BIN, ...args], { stdio: ["pipe", "pipe", "pipe"], cwd: dir });
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

describe.skipIf(!DIST_READY)("a master reached by an alias", () => {
  it("worker and driver configured with flint://localhost:P, master announcing 127.0.0.1:P: the job runs", async () => {
    const secret = join(dir, "secret");
    writeFileSync(secret, randomBytes(32).toString("base64"));
    chmodSync(secret, 0o600);
    const port = await freePort();
    const master = start([
      "master",
      "--port",
      String(port),
      "--status-port",
      String(await freePort()),
      "--recovery",
      "none",
      "--secret-file",
      secret,
    ]);
    await waitFor("the master listening", () => master.output().includes("listening on flint://127.0.0.1:"), 15_000);
    const worker = start(["worker", `flint://localhost:${port}`, "--cores", "1", "--work-dir", join(dir, "work"), "--secret-file", secret]);
    await waitFor("the worker listening", () => worker.output().includes("listening on"), 15_000);
    const submit = start(["submit", `${ROOT}examples/pi.mjs`, "--master", `flint://localhost:${port}`, "--secret-file", secret]);
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => submit.child.kill("SIGKILL"), 45_000);
      submit.child.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(submit.output()).toContain("Pi is roughly");
    expect(code).toBe(0);
    expect(worker.output()).not.toContain("not-from-active-master");
  }, 90_000);
});
