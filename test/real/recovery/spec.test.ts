import { spawnSync } from "node:child_process";
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
    expect(parseRecoverySpec("zookeeper:zk1:2181,zk2:2182/spark/ha/")).toEqual({ mode: "zookeeper", connectString: "zk1:2181,zk2:2182", root: "/spark/ha" });
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

  it("flint master on a recovery directory another live master holds: refuses to start, naming the lock", () => {
    const dir = mkdtempSync(join(tmpdir(), "flint-lock-"));
    try {
      const first = spawnSync("sh", ["-c", `${process.execPath} ${FLINT_BIN} master --port 0 --status-port 0 --recovery filesystem:${dir} & sleep 1.5; ${process.execPath} ${FLINT_BIN} master --port 0 --status-port 0 --recovery filesystem:${dir}; echo "second exited $?"; kill %1`], { encoding: "utf8", timeout: 20_000 });
      expect(first.stdout).toContain("second exited 1");
      expect(first.stderr).toMatch(/cannot start: recovery filesystem:.*is in use by process \d+@.*\.lock/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
