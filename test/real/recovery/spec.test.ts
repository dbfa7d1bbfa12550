import { describe, expect, it } from "vitest";
import { parseRecoverySpec } from "../../../src/real/recovery/spec.js";

describe("recovery spec", () => {
  it("filesystem:DIR, relative to the working directory", () => {
    expect(parseRecoverySpec("filesystem:/var/flint")).toEqual({ mode: "filesystem", dir: "/var/flint" });
    expect(parseRecoverySpec("filesystem:state", "/home/u")).toEqual({ mode: "filesystem", dir: "/home/u/state" });
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
