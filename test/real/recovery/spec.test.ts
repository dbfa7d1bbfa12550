import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRecoverySpec } from "../../../src/real/recovery/spec.js";
import { DIST_READY, FLINT_BIN } from "../cluster/harness.js";

describe("recovery spec", () => {
  it("filesystem:DIR, relative to the working directory", () => {
    expect(parseRecoverySpec("filesystem:/var/flint")).toEqual({ mode: "filesystem", dir: "/var/flint" });
    expect(parseRecoverySpec("filesystem:state", "/home/u")).toEqual({ mode: "filesystem", dir: "/home/u/state" });
  });

  it("none: nothing survives a restart", () => {
    expect(parseRecoverySpec("none")).toEqual({ mode: "none" });
  });

  it("zookeeper:HOST:PORT with the default root /flint, a given root, or several servers", () => {
    expect(parseRecoverySpec("zookeeper:127.0.0.1:2181")).toEqual({ mode: "zookeeper", connectString: "127.0.0.1:2181", root: "/flint" });
    expect(parseRecoverySpec("zookeeper:zk1:2181,zk2:2182/spark/ha/")).toEqual({
      mode: "zookeeper",
      connectString: "zk1:2181,zk2:2182",
      root: "/spark/ha",
    });
    expect(parseRecoverySpec("zookeeper:zk:2181/")).toEqual({ mode: "zookeeper", connectString: "zk:2181", root: "/" });
  });

  it.each([
    ["", /no mode/],
    ["/tmp/x", /no mode/],
    ["filesystem:", /missing directory/],
    ["nfs:/x", /unknown mode "nfs"/],
    ["zookeeper:", /missing HOST:PORT/],
    ["zookeeper:zk", /"zk" is not HOST:PORT/],
    ["zookeeper:zk:99999", /port 99999 is out of range/],
    ["zookeeper:zk:2181//a", /not a valid path/],
    ["zookeeper:zk:2181/a/../b", /not a valid path/],
  ])("rejects %j with a clear error", (spec, message) => {
    expect(() => parseRecoverySpec(spec)).toThrow(message);
  });
});

describe.skipIf(!DIST_READY)("recovery flags on the command line", () => {
  const flint = (...args: string[]) => spawnSync(process.execPath, [FLINT_BIN, ...args], { encoding: "utf8", timeout: 20_000 });

  it("flint master --recovery with a bad spec: usage error (exit 2) naming the flag and the problem", () => {
    const r = flint("master", "--port", "0", "--recovery", "nfs:/x");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--recovery "nfs:\/x": unknown mode "nfs"/);
  });

  it("flint local --masters 2 with a filesystem recovery: usage error, since two masters need ZooKeeper", () => {
    const r = flint("local", "--masters", "2", "--recovery", "filesystem:/tmp/x");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--masters 2 needs --recovery zookeeper:HOST:PORT/);
  });

  it("flint master on a recovery directory another live master holds: refuses to start, naming the lock", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flint-lock-"));
    const masterArgs = [FLINT_BIN, "master", "--port", "0", "--status-port", "0", "--recovery", `filesystem:${dir}`];
    // The first master is our own child (no shell, no job control), so we can always stop it; with
    // --exit-with-parent it also stops on its own if this test process dies.
    const first = spawn(process.execPath, [...masterArgs, "--exit-with-parent"], { stdio: ["pipe", "pipe", "pipe"] });
    try {
      await outputMatching(first, /flint master listening on/, 15_000);
      const second = spawnSync(process.execPath, masterArgs, { encoding: "utf8", timeout: 20_000 });
      expect(second.status).toBe(1);
      expect(second.stderr).toMatch(/cannot start: recovery filesystem:.*is in use by process \d+@.*\.lock/);
    } finally {
      await stopChild(first);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Resolves once the child's stdout matches `pattern`; rejects on exit or after `timeoutMs`. */
function outputMatching(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms; got: ${seen}`)), timeoutMs);
    child.stdout!.on("data", (chunk: Buffer) => {
      seen += chunk.toString("utf8");
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before printing ${pattern}; got: ${seen}`));
    });
  });
}

/** SIGTERM, then SIGKILL if it is still there after 5 s; resolves once the child has exited. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
