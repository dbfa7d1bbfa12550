/**
 * What a user sees when a cluster command cannot do its job: each error names what failed and how
 * to fix it. Runs `node bin/flint.js` from dist/ (build first: `npm run build`).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DIST_READY, FLINT_BIN } from "./harness.js";

/** Runs `flint ...args` to its end (bounded), collecting its output. */
function flint(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string; elapsedMs: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FLINT_BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
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
    const failing = app("failing.mjs", "export function work(x) {\n  throw new Error('bad input ' + x);\n}\nexport async function main(ctx) { return ctx.run('work', [1]); }\n");
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
    const ok = app("ok.mjs", "export function work(x) { return x * 2; }\nexport async function main(ctx) { return (await ctx.run('work', [1, 2])).join(','); }\n");
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
