/**
 * Across machines, on one Linux box: the master, two workers and the driver each run in their own
 * network namespace, joined by veth links to a bridge (in a namespace of its own), on 10.77.x
 * addresses, with the secret. A job runs; one worker's link is cut past the worker timeout, so
 * the master declares it DEAD and the job finishes on the other; the link is restored and the
 * worker registers again. Needs root and iproute2; says so and skips otherwise.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ClusterStatus } from "../../src/real/snapshot.js";
import { webToken } from "../../src/real/web/auth.js";
import { DIST_READY, FAST_PROTOCOL, FLINT_BIN, ProcessTracker, SLOW_APP, waitFor } from "./cluster/harness.js";

const TAG = `f${process.pid % 100000}`;
const HUB = `${TAG}-hub`;
const NODES = {
  master: { ns: `${TAG}-m`, ip: "10.77.0.1" },
  w1: { ns: `${TAG}-w1`, ip: "10.77.0.11" },
  w2: { ns: `${TAG}-w2`, ip: "10.77.0.12" },
  driver: { ns: `${TAG}-d`, ip: "10.77.0.100" },
} as const;
const SECRET = "netns-test-secret-0123456789abcdef";

function ip(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  return { ok: r.status === 0, err: (r.stderr ?? "") + (r.error?.message ?? "") };
}

/** Why namespaces cannot be made here, or undefined when they can. */
function cannotMakeNamespaces(): string | undefined {
  if (process.getuid?.() !== 0) return "not root";
  const probe = `${TAG}-probe`;
  const made = ip(["netns", "add", probe]);
  if (!made.ok) return `ip netns add failed: ${made.err.trim()}`;
  ip(["netns", "del", probe]);
  return undefined;
}

const why = DIST_READY ? cannotMakeNamespaces() : "dist/ is not built";
if (why !== undefined) console.warn(`netns test skipped: cannot create network namespaces (${why})`);

function must(args: string[]): void {
  const r = ip(args);
  if (!r.ok) throw new Error(`ip ${args.join(" ")}: ${r.err}`);
}

function buildNetwork(): void {
  must(["netns", "add", HUB]);
  must(["-n", HUB, "link", "add", "br0", "type", "bridge"]);
  must(["-n", HUB, "link", "set", "br0", "up"]);
  for (const [name, node] of Object.entries(NODES)) {
    must(["netns", "add", node.ns]);
    const hubEnd = `${TAG}${name}`.slice(0, 15);
    must(["link", "add", "eth0", "netns", node.ns, "type", "veth", "peer", "name", hubEnd, "netns", HUB]);
    must(["-n", HUB, "link", "set", hubEnd, "master", "br0"]);
    must(["-n", HUB, "link", "set", hubEnd, "up"]);
    must(["-n", node.ns, "addr", "add", `${node.ip}/24`, "dev", "eth0"]);
    must(["-n", node.ns, "link", "set", "eth0", "up"]);
    must(["-n", node.ns, "link", "set", "lo", "up"]);
  }
}

function tearDownNetwork(): void {
  for (const node of Object.values(NODES)) ip(["netns", "del", node.ns]);
  ip(["netns", "del", HUB]);
}

const tracker = new ProcessTracker();
let dir = "";
let secretFile = "";
const env = { ...process.env, FLINT_PROTOCOL_CONFIG: JSON.stringify(FAST_PROTOCOL) };

function inNs(ns: string, args: string[]): ChildProcess {
  // cwd: a master's default journal (./flint-journal) goes to the test's folder, not the checkout.
  const child = spawn("ip", ["netns", "exec", ns, process.execPath, FLINT_BIN, ...args], {
    env,
    stdio: ["pipe", "pipe", "pipe"],
    cwd: dir,
  });
  tracker.track(child.pid!);
  return child;
}

function runInNs(ns: string, args: string[], timeoutMs = 20_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("ip", ["netns", "exec", ns, process.execPath, ...args], { env, encoding: "utf8", timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const MASTER_URL = `flint://${NODES.master.ip}:7077`;

function status(): ClusterStatus | undefined {
  const r = runInNs(NODES.driver.ns, [FLINT_BIN, "status", "--master", MASTER_URL, "--secret-file", secretFile, "--json"], 10_000);
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout) as ClusterStatus;
}

describe.skipIf(why !== undefined)("a cluster across network namespaces", () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "flint-netns-"));
    chmodSync(dir, 0o700);
    secretFile = join(dir, "secret");
    writeFileSync(secretFile, SECRET, { mode: 0o600 });
    buildNetwork();
  });
  afterAll(async () => {
    // Master and workers run until here: killed (SIGKILL) with the namespaces they live in.
    tracker.cleanup();
    tearDownNetwork();
    rmSync(dir, { recursive: true, force: true });
  });

  it("a job runs on non-loopback addresses with the secret; a worker's link is cut and restored, and the cluster recovers", async () => {
    const master = inNs(NODES.master.ns, [
      "master",
      "--host",
      NODES.master.ip,
      "--port",
      "7077",
      "--secret-file",
      secretFile,
      "--recovery",
      "none",
      "--web-host",
      NODES.master.ip,
      "--web-port",
      "8080",
      "--exit-with-parent",
    ]);
    let masterOut = "";
    master.stdout!.on("data", (c: Buffer) => (masterOut += c.toString()));
    await waitFor("the master", () => masterOut.includes("listening on"), 15_000);
    for (const w of [NODES.w1, NODES.w2]) {
      inNs(w.ns, [
        "worker",
        MASTER_URL,
        "--host",
        w.ip,
        "--cores",
        "1",
        "--memory",
        "1g",
        "--work-dir",
        join(dir, `work-${w.ip}`),
        "--secret-file",
        secretFile,
        "--executor-ports",
        "40100-40109",
        "--web-port",
        "off",
        "--exit-with-parent",
      ]);
    }
    await waitFor("two ALIVE workers", () => (status()?.workers.filter((w) => w.state === "ALIVE").length ?? 0) === 2, 30_000, 300);

    // The web UI off loopback: refused without the token, served with it (from the driver's machine).
    const fetchStatus = (headers: string): string =>
      runInNs(NODES.driver.ns, [
        "-e",
        `fetch("http://${NODES.master.ip}:8080/api/status",{headers:${headers}}).then(r=>console.log(r.status))`,
      ]).stdout.trim();
    expect(fetchStatus("{}")).toBe("401");
    expect(fetchStatus(JSON.stringify({ authorization: `Bearer ${webToken(SECRET)}` }))).toBe("200");

    // 30 tasks of 400 ms on 2 one-core workers: ~6 s, long enough to cut a link mid-job.
    const submit = inNs(NODES.driver.ns, [
      "submit",
      SLOW_APP,
      "--master",
      MASTER_URL,
      "--secret-file",
      secretFile,
      "--advertised-host",
      NODES.driver.ip,
      "--driver-ports",
      "40000-40009",
      "--web-port",
      "off",
      "--quiet",
      "--",
      "30",
      "400",
    ]);
    let out = "";
    let err = "";
    submit.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    submit.stderr!.on("data", (c: Buffer) => (err += c.toString()));
    const submitted = new Promise<number | null>((resolve) => submit.on("exit", resolve));
    await waitFor(
      "executors on both workers",
      () => {
        const s = status();
        return (s?.apps[0]?.executors.filter((e) => e.state === "RUNNING").length ?? 0) === 2;
      },
      30_000,
      300,
    );

    must(["-n", NODES.w1.ns, "link", "set", "eth0", "down"]);
    const dead = await waitFor(
      "worker 1 DEAD",
      () => status()?.workers.find((w) => w.address.includes(NODES.w1.ip) && w.state === "DEAD"),
      30_000,
      500,
    );
    expect(dead.coresUsed).toBe(0);
    expect(dead.executors).toBe(0);
    const code = await submitted;
    expect({ code, err }).toMatchObject({ code: 0 });
    expect(out.trim()).toBe(`sum=${(29 * 30) / 2}`);

    must(["-n", NODES.w1.ns, "link", "set", "eth0", "up"]);
    await waitFor(
      "worker 1 ALIVE again",
      () => status()?.workers.some((w) => w.address.includes(NODES.w1.ip) && w.state === "ALIVE"),
      60_000,
      500,
    );
    const after = status()!;
    expect(
      after.workers
        .filter((w) => w.state === "ALIVE")
        .map((w) => w.address.split(":")[1])
        .sort(),
    ).toEqual([`//${NODES.w1.ip}`, `//${NODES.w2.ip}`]);
    expect(after.completedApps.map((a) => a.state)).toEqual(["FINISHED"]);
    // Every executor listened inside the workers' --executor-ports range (its log says where).
    const appId = after.completedApps[0]!.id;
    const ports: number[] = [];
    for (const w of [NODES.w1, NODES.w2]) {
      const appDir = join(dir, `work-${w.ip}`, appId);
      for (const exec of existsSync(appDir) ? readdirSync(appDir) : []) {
        const log = readFileSync(join(appDir, exec, "executor.log"), "utf8");
        const m = /"event":"listening".*?"address":"flint:\/\/([0-9.]+):(\d+)"/.exec(log);
        expect(m?.[1], `${w.ip} ${exec}`).toBe(w.ip);
        ports.push(Number(m![2]));
      }
    }
    expect(ports.length).toBeGreaterThanOrEqual(2);
    for (const port of ports) expect(port >= 40100 && port <= 40109, `executor port ${port}`).toBe(true);
  }, 150_000);
});
