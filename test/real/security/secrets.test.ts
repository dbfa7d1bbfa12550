/**
 * Secrets: a weak secret or an unsafe secret file is refused, naming the file and the fix; a
 * worker hands its secret to executors and drivers on a pipe at fd 3, never in their environment
 * (/proc/<pid>/environ, which every task of the process can read).
 */
import { chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { address, appId, workerId } from "../../../src/protocol/ids.js";
import type { Input } from "../../../src/protocol/io.js";
import { ProcessLauncher, SECRET_ENV } from "../../../src/real/cluster/launcher.js";
import { SecretFileError, createSecretFile, readSecretFile } from "../../../src/real/handshake.js";
import { createMemoryLogger } from "../../../src/real/log.js";
import { Transport } from "../../../src/real/transport.js";
import type { LocalCluster } from "../../../src/real/cluster/local.js";
import { connect, type Cluster } from "../../../src/real/driver/api.js";
import {
  DIST_READY,
  FAST_PROTOCOL,
  ProcessTracker,
  ROOT,
  SLOW_APP,
  executorsUnder,
  naps,
  startTestCluster,
  waitFor,
} from "../cluster/harness.js";

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "flint-sec-secrets-"));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("security: secret files", () => {
  it("secret: one shorter than 128 bits is refused with how to make one; 16 bytes is enough", () => {
    const dir = tempDir();
    const path = join(dir, "s");
    writeFileSync(path, "x\n", { mode: 0o600 });
    expect(() => readSecretFile(path)).toThrow(SecretFileError);
    expect(() => readSecretFile(path)).toThrow(
      new RegExp(
        `secret file ${path}: the secret is 1 bytes, shorter than 16 \\(128 bits\\); make one with: head -c 32 /dev/urandom \\| base64 > secret; chmod 600 secret`,
      ),
    );
    writeFileSync(path, "0123456789abcdef\n");
    expect(readSecretFile(path)).toBe("0123456789abcdef");
    expect(() => new Transport({ logger: createMemoryLogger(), secret: "short" })).toThrow(/shorter than 16/);
  });

  it("secret: a symbolic link is refused, even to a good file", () => {
    const dir = tempDir();
    createSecretFile(join(dir, "real"));
    symlinkSync(join(dir, "real"), join(dir, "link"));
    expect(() => readSecretFile(join(dir, "link"))).toThrow(
      /secret file .*link is a symbolic link; point --secret-file at the file itself/,
    );
  });

  it.skipIf(process.getuid?.() !== 0)("secret: a file owned by another user is refused, naming the fix", () => {
    const dir = tempDir();
    const path = join(dir, "s");
    createSecretFile(path);
    chownSync(path, 12345, 12345);
    expect(() => readSecretFile(path)).toThrow(/is owned by uid 12345, not by the current user \(uid 0\); run: chown 0 /);
  });

  it("secret: readable or writable by group or others is refused (0640, 0604, 0620)", () => {
    const dir = tempDir();
    const path = join(dir, "s");
    createSecretFile(path);
    for (const mode of [0o640, 0o604, 0o620, 0o602]) {
      chmodSync(path, mode);
      expect(() => readSecretFile(path)).toThrow(/accessible by group or others .*run: chmod 600/);
    }
  });
});

describe.skipIf(!DIST_READY)("security: the secret reaches a child on fd 3, not in its environment", () => {
  it("secret: an executor reads it from fd 3 (then closed); /proc/self/environ holds neither it nor FLINT_SECRET", async () => {
    const dir = tempDir();
    const secret = "a-secret-for-the-child-0123456789";
    const script = join(dir, "probe.mjs");
    const launcherUrl = pathToFileURL(join(ROOT, "dist/real/cluster/launcher.js")).href;
    writeFileSync(
      script,
      `import { readFileSync, writeFileSync, fstatSync } from "node:fs";
       import { readSecretFromFd } from ${JSON.stringify(launcherUrl)};
       const environBefore = readFileSync("/proc/self/environ", "utf8");
       const got = readSecretFromFd();
       let fd3Open = true; try { fstatSync(3); } catch { fd3Open = false; }
       writeFileSync("probe.json", JSON.stringify({ got, fd3Open, inEnviron: environBefore.includes(${JSON.stringify(secret)}), envVar: environBefore.includes("${SECRET_ENV}=") }));
      `,
    );
    const inputs: Input[] = [];
    const launcher = new ProcessLauncher({
      workDir: join(dir, "work"),
      host: "127.0.0.1",
      secret,
      logger: createMemoryLogger("worker"),
      report: (i) => inputs.push(i),
      executorEntry: script,
    });
    // Even with the secret in the worker's own environment, the child does not inherit it.
    process.env[SECRET_ENV] = secret;
    try {
      launcher.launch({
        kind: "executor",
        appId: appId("app-1"),
        execId: 0,
        cores: 1,
        memoryMb: 64,
        appDesc: { name: "x", memoryPerExecutorMb: 64, command: {} },
        driverAddress: address("flint://d:1"),
        workerAddress: address("flint://w:2"),
        workerId: workerId("w"),
      });
    } finally {
      delete process.env[SECRET_ENV];
    }
    await waitFor("the probe to exit", () => inputs.find((i) => i.type === "processExited"), 10_000);
    expect(inputs.find((i) => i.type === "processExited")).toMatchObject({ exitCode: 0 });
    const probe = JSON.parse(readFileSync(join(dir, "work", "app-1", "0", "probe.json"), "utf8")) as Record<string, unknown>;
    expect(probe).toEqual({ got: secret, fd3Open: false, inEnviron: false, envVar: false });
  });
});

describe.skipIf(!DIST_READY)("security: a live cluster's executors and files", () => {
  const tracker = new ProcessTracker();
  let cluster: LocalCluster | undefined;
  let driver: Cluster | undefined;
  afterEach(async () => {
    await driver?.close().catch(() => {});
    driver = undefined;
    await cluster?.stop({ graceMs: 3_000 });
    cluster = undefined;
    expect(tracker.cleanup()).toEqual([]);
  });

  it("secret: a running executor's environment holds no secret; its work directories are 0700 and its launch file 0600", async () => {
    cluster = await startTestCluster(tracker, 1);
    const c = cluster;
    driver = await connect({
      master: c.masterUrl,
      module: SLOW_APP,
      secret: c.secret,
      protocol: FAST_PROTOCOL,
      logger: createMemoryLogger("driver"),
    });
    const job = driver.run<number>("nap", naps(4, 1_500));
    const [pid] = await waitFor(
      "an executor",
      () => {
        const pids = executorsUnder(c.workers[0]!.pid);
        return pids.length > 0 ? pids : undefined;
      },
      15_000,
    );
    // What a task of that executor could read of its own process.
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8");
    expect(environ.includes(c.secret)).toBe(false);
    expect(environ.split("\0").some((kv) => kv.startsWith(`${SECRET_ENV}=`))).toBe(false);
    expect(statSync(c.workDir).mode & 0o777).toBe(0o700);
    const appDir = join(c.workDir, driver.appId);
    expect(statSync(appDir).mode & 0o777).toBe(0o700);
    const [execDir] = readdirSync(appDir);
    expect(statSync(join(appDir, execDir!)).mode & 0o777).toBe(0o700);
    expect(statSync(join(appDir, execDir!, "launch.json")).mode & 0o777).toBe(0o600);
    expect(await job).toHaveLength(4);
  }, 60_000);
});
