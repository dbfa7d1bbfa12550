/**
 * A private ZooKeeper server, for `flint local --masters N` and the tests: Debian's `zookeeper`
 * package, run in the foreground as `java ... org.apache.zookeeper.server.ZooKeeperServerMain
 * <our zoo.cfg>` (not the packaged service, which expects a system layout), on 127.0.0.1 and a
 * free port, with its data in a directory of ours. It can be stopped and restarted on the same
 * port and data (sessions survive, as on a real restart). `zooKeeperMissing()` says why it cannot
 * run here (no java, or the jars are not installed).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** ZooKeeper's default tickTime: sessions may last 2-20 ticks (4-40 s). */
export const DEFAULT_TICK_MS = 2_000;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

function findClasspath(): { classpath: string } | { missing: string } {
  const java = spawnSync("java", ["-version"], { encoding: "utf8" });
  if (java.error || java.status !== 0) return { missing: "java is not installed (apt-get install -y default-jre-headless)" };
  const listed = spawnSync("dpkg", ["-L", "zookeeper", "libzookeeper-java"], { encoding: "utf8" });
  const jars = (listed.stdout ?? "").split("\n").filter((line) => /\/zookeeper(-jute)?\.jar$/.test(line));
  for (const fallback of ["/usr/share/java/zookeeper.jar", "/usr/share/java/zookeeper-jute.jar"]) {
    if (!jars.includes(fallback) && existsSync(fallback)) jars.push(fallback);
  }
  if (!jars.some((jar) => jar.endsWith("/zookeeper.jar") && existsSync(jar))) {
    return { missing: "ZooKeeper jars not found (apt-get install -y --no-install-recommends zookeeper)" };
  }
  // zookeeper.jar's manifest Class-Path names its dependencies (netty, slf4j, ...) in /usr/share/java.
  const conf = ["/etc/zookeeper/conf", "/etc/zookeeper/conf_example"].filter((dir) => existsSync(dir));
  return { classpath: [...conf, ...jars].join(":") };
}

let found: { classpath: string } | { missing: string } | undefined;
function classpath(): { classpath: string } | { missing: string } {
  return (found ??= findClasspath());
}

/** Why a ZooKeeper server cannot be started here, or undefined when it can. */
export function zooKeeperMissing(): string | undefined {
  const f = classpath();
  return "missing" in f ? f.missing : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface EmbeddedZooKeeperOptions {
  /** Where to keep zoo.cfg and the data (default: a fresh temporary directory, removed by destroy). */
  dir?: string;
  /** tickTime in ms (default 2000): sessions may last 2-20 ticks. */
  tickMs?: number;
}

export class EmbeddedZooKeeper {
  private process: ChildProcess | undefined;
  private output = "";

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get connectString(): string {
    return `127.0.0.1:${this.port}`;
  }

  static async start(options: EmbeddedZooKeeperOptions = {}): Promise<EmbeddedZooKeeper> {
    const missing = zooKeeperMissing();
    if (missing !== undefined) throw new Error(missing);
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), "flint-zk-"));
    const server = new EmbeddedZooKeeper(await freePort(), dir);
    mkdirSync(join(dir, "data"), { recursive: true });
    writeFileSync(
      join(dir, "zoo.cfg"),
      [
        `tickTime=${options.tickMs ?? DEFAULT_TICK_MS}`,
        `dataDir=${join(dir, "data")}`,
        `clientPort=${server.port}`,
        "clientPortAddress=127.0.0.1",
        "admin.enableServer=false",
        "4lw.commands.whitelist=ruok",
        "maxClientCnxns=200",
        "",
      ].join("\n"),
    );
    await server.restart();
    return server;
  }

  /** (Re)starts the server on the same port and data directory; resolves once it answers `ruok`. */
  async restart(): Promise<void> {
    if (this.process) throw new Error("ZooKeeper server already running");
    const found = classpath();
    if ("missing" in found) throw new Error(found.missing);
    this.output = "";
    const child = spawn(
      "java",
      [
        "-Xmx256m",
        "-Dzookeeper.admin.enableServer=false",
        "-cp",
        found.classpath,
        "org.apache.zookeeper.server.ZooKeeperServerMain",
        join(this.dir, "zoo.cfg"),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.process = child;
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-4000);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) break;
      if (await ruok(this.port)) return;
      await sleep(100);
    }
    await this.stop();
    throw new Error(`ZooKeeper did not start on port ${this.port}:\n${this.output}`);
  }

  /** Stops the server abruptly (SIGKILL: like a crash or a cut network; its data stays). */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
  }

  /** Stops the server and removes its data. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function ruok(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let answer = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("ruok"));
    socket.on("data", (chunk) => (answer += chunk.toString("utf8")));
    socket.on("end", () => done(answer === "imok"));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 20 ms until it holds or `timeoutMs` passes (then throws `what`). */
export async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}
