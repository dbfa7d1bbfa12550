/**
 * What a user sees when a cluster command cannot do its job: each error names what failed and how
 * to fix it. Runs `node bin/flint.js` from dist/ (build first: `npm run build`).
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { describe, expect, it } from "vitest";
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

describe.skipIf(!DIST_READY)("flint command errors", () => {
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
