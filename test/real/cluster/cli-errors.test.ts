/**
 * What a user sees when a cluster command cannot do its job: each error names what failed and how
 * to fix it. Runs `node bin/flint.js` from dist/ (build first: `npm run build`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DIST_READY, FLINT_BIN } from "./harness.js";

/** Runs `flint ...args` to its end (bounded), collecting its output. */
function flint(
  args: string[],
  timeoutMs = 20_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; stdout: string; stderr: string; elapsedMs: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // cwd: a client-mode driver's or a master's default journal (./flint-journal) goes to the test's folder.
    const child = spawn(process.execPath, [FLINT_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env, cwd: apps });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`flint ${args.join(" ")} still running after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}

function listenOn(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(undefined));
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

const close = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/** A server on some port P of 127.0.0.1 whose P - 1 is free (checked, then released). */
async function occupiedWithFreeBelow(): Promise<{ server: Server; port: number }> {
  for (let tries = 0; tries < 50; tries++) {
    const server = (await listenOn(0))!;
    const port = (server.address() as { port: number }).port;
    const below = await listenOn(port - 1);
    if (below) {
      await close(below);
      return { server, port };
    }
    await close(server);
  }
  throw new Error("no port P with P - 1 free found");
}

const apps = mkdtempSync(join(tmpdir(), "flint-cli-errors-"));
afterAll(() => rmSync(apps, { recursive: true, force: true }));
/** Writes an application module into the test's folder; returns its path. */
function app(name: string, source: string): string {
  const path = join(apps, name);
  writeFileSync(path, source);
  return path;
}
const BAD_SYNTAX = "export function f(x) {\n  return x;\n}\nconst y = (1 + ;\nexport async function main(ctx) { return 1; }\n";

describe.skipIf(!DIST_READY)("flint command errors", () => {
  it("flint local with a syntax error in the app: file:line:column and the line, before any cluster starts", async () => {
    const bad = app("bad.mjs", BAD_SYNTAX);
    const r = await flint(["local", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:4:16: SyntaxError: Unexpected token ';'\nconst y = (1 + ;\n${" ".repeat(15)}^`);
    expect(r.stderr).not.toMatch(/cluster ready|logs/);
  });

  it("flint submit with a syntax error: file:line:column in client mode (no master needed) and in cluster mode", async () => {
    const bad = app("bad-submit.mjs", BAD_SYNTAX);
    for (const mode of ["client", "cluster"]) {
      const r = await flint(["submit", bad, "--master", "flint://127.0.0.1:1", "--deploy-mode", mode]);
      expect(r.code, mode).toBe(1);
      expect(r.stderr, mode).toContain(`${bad}:4:16: SyntaxError: Unexpected token ';'`);
    }
  });

  it("flint local with an app without main(): says so before any cluster starts", async () => {
    const r = await flint(["local", app("nomain.mjs", "export function f() {}\n")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nomain\.mjs exports no main\(ctx\) function/);
    expect(r.stderr).not.toMatch(/cluster ready/);
  });

  it("flint local: a task's stack names the user's file, not the executor's cached copy; a failed run keeps its logs but not the secret", async () => {
    const failing = app(
      "failing.mjs",
      "export function work(x) {\n  throw new Error('bad input ' + x);\n}\nexport async function main(ctx) { return ctx.run('work', [1]); }\n",
    );
    const r = await flint(["local", failing, "--workers", "1"], 60_000);
    const logDir = /logs kept in (\S+)\)/.exec(r.stderr)?.[1];
    try {
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("Error: bad input 1");
      expect(r.stderr).toContain(`at work (${failing}:2:9)`);
      expect(r.stderr).not.toMatch(/modules\/[0-9a-f]{64}\.mjs/);
      // How flint called the task is noise in the user's stack.
      expect(r.stderr).not.toContain("tasks/thread.js");
      expect(logDir).toBeDefined();
      expect(existsSync(logDir!)).toBe(true);
      expect(readdirSync(join(logDir!, ".."))).not.toContain("secret");
    } finally {
      if (logDir !== undefined) rmSync(join(logDir, ".."), { recursive: true, force: true });
    }
  }, 90_000);

  it("flint local: a successful run deletes its folder and says how to keep it", async () => {
    const ok = app(
      "ok.mjs",
      "export function work(x) { return x * 2; }\nexport async function main(ctx) { return (await ctx.run('work', [1, 2])).join(','); }\n",
    );
    const r = await flint(["local", ok, "--workers", "1"], 60_000);
    const logDir = /logs in (\S+)/.exec(r.stderr)?.[1];
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("2,4\n");
    expect(r.stderr).toContain("logs deleted (use --keep to keep them)");
    expect(logDir).toBeDefined();
    expect(existsSync(join(logDir!, ".."))).toBe(false);
  }, 90_000);

  it("flint master whose status port (port + 1) is taken names the status port and --status-port", async () => {
    const { server, port } = await occupiedWithFreeBelow();
    try {
      const r = await flint(["master", "--port", String(port - 1), "--recovery", "none"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`the status port 127.0.0.1:${port} (the master's port + 1) is not available`);
      expect(r.stderr).toMatch(/EADDRINUSE/);
      expect(r.stderr).toContain("--status-port");
    } finally {
      await close(server);
    }
  });

  it("flint master whose own port is taken names the master's port", async () => {
    const server = (await listenOn(0))!;
    const port = (server.address() as { port: number }).port;
    try {
      const r = await flint(["master", "--port", String(port), "--status-port", "0", "--recovery", "none"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`the master's port 127.0.0.1:${port} is not available`);
      expect(r.stderr).not.toContain("--status-port");
    } finally {
      await close(server);
    }
  });
});

/** A port of 127.0.0.1 that nothing listens on (it was free a moment ago). */
async function freePort(): Promise<number> {
  const server = (await listenOn(0))!;
  const port = (server.address() as { port: number }).port;
  await close(server);
  return port;
}

function secretFile(name: string): string {
  const path = join(apps, name);
  writeFileSync(path, randomBytes(32).toString("hex"), { mode: 0o600 });
  return path;
}

/** Starts `flint master` with a secret; resolves with its URL once it listens. */
async function startMaster(secret: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [FLINT_BIN, "master", "--port", "0", "--status-port", "0", "--recovery", "none", "--secret-file", secret],
    // Its default journal (./flint-journal) goes to the test's folder, not the checkout.
    { stdio: ["ignore", "pipe", "pipe"], cwd: apps },
  );
  let out = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the master did not start: ${out}`)), 15_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (flint:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  return { child, url };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

describe.skipIf(!DIST_READY)("connecting to a master: unreachable or wrong secret is said at once, by name", () => {
  const OK_APP = (): string =>
    app("submit-ok.mjs", "export function f(x) { return x; }\nexport async function main(ctx) { return ctx.run('f', [1]); }\n");

  it("flint submit with no master running: client mode retries the registration rounds, then gives up naming the cause; cluster mode says it at once", async () => {
    const port = await freePort();
    // The app client's rounds (Spark's StandaloneAppClient): 3 of 400 ms here, each a RegisterApplication whose dial is refused.
    const rounds = { ...process.env, FLINT_PROTOCOL_CONFIG: JSON.stringify({ appRegistrationTimeoutMs: 400, appRegistrationRetries: 3 }) };
    const client = await flint(["submit", OK_APP(), "--master", `flint://127.0.0.1:${port}`, "--quiet"], 20_000, rounds);
    expect(client.code).toBe(1);
    expect(client.stderr).toContain(`All masters are unresponsive! Giving up. (127.0.0.1:${port} refused the connection)`);
    // One failed dial per round, each said at WARN; the verdict after the last round, not at the first failure.
    expect(client.stderr.split("\n").filter((line) => /WARN .*master-unreachable/.test(line)).length).toBe(3);
    expect(client.elapsedMs).toBeGreaterThanOrEqual(1_200);
    expect(client.elapsedMs).toBeLessThan(10_000);
    const cluster = await flint(["submit", OK_APP(), "--master", `flint://127.0.0.1:${port}`, "--deploy-mode", "cluster"]);
    expect(cluster.code).toBe(1);
    expect(cluster.stderr).toContain(`cannot reach the master: 127.0.0.1:${port} refused the connection`);
    expect(cluster.stderr).not.toContain("no answer");
    expect(cluster.elapsedMs).toBeLessThan(5_000);
  });

  it("a wrong secret is an authentication failure, said at once: flint submit (both modes) and flint worker, which stops", async () => {
    const master = await startMaster(secretFile("right.secret"));
    const wrong = secretFile("wrong.secret");
    const hostPort = master.url.replace("flint://", "");
    try {
      for (const mode of ["client", "cluster"]) {
        const r = await flint(["submit", OK_APP(), "--master", master.url, "--deploy-mode", mode, "--secret-file", wrong, "--quiet"]);
        expect(r.code, mode).toBe(1);
        expect(r.stderr, mode).toContain(`authentication with ${hostPort} failed (wrong secret)`);
        expect(r.elapsedMs, mode).toBeLessThan(5_000);
      }
      const w = await flint(["worker", master.url, "--secret-file", wrong, "--work-dir", join(apps, "work")], 15_000);
      expect(w.code).toBe(1);
      expect(w.stderr).toContain(`flint worker: stopped: authentication with ${hostPort} failed (wrong secret)`);
      expect(w.elapsedMs).toBeLessThan(5_000);
      // Without a secret against a master that has one: named as such.
      const none = await flint(["submit", OK_APP(), "--master", master.url, "--quiet"]);
      expect(none.stderr).toContain(`authentication with ${hostPort} failed (it requires a secret and this side has none)`);
    } finally {
      await stopProcess(master.child);
    }
  });

  it("flint worker with no master: each registration attempt is a WARN line with its number and cause", async () => {
    const port = await freePort();
    // Short retry intervals, so that a retry comes within the test.
    const env = {
      ...process.env,
      FLINT_PROTOCOL_CONFIG: JSON.stringify({
        initialRegistrationIntervalBaseMs: 300,
        initialRegistrationRetries: 2,
        totalRegistrationRetries: 3,
        prolongedRegistrationIntervalBaseMs: 300,
      }),
    };
    const w = await flint(["worker", `flint://127.0.0.1:${port}`, "--work-dir", join(apps, "work")], 20_000, env);
    const warnings = w.stderr.split("\n").filter((line) => /WARN .*master-unreachable/.test(line));
    expect(warnings.length, w.stderr).toBe(4);
    expect(warnings[0]).toContain(`why="127.0.0.1:${port} refused the connection"`);
    expect(warnings[0]).toMatch(/registration="first attempt of 4, next in 0\.\d s"/);
    expect(warnings[1]).toMatch(/registration="retry 1 of 3, next in 0\.\d s"/);
    expect(warnings[3]).toMatch(/registration="retry 3 of 3, the last"/);
    // Then it gives up, as the protocol says.
    expect(w.code).toBe(1);
  }, 30_000);
});
