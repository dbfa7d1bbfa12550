import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZooKeeperRecoveryStore } from "../../../src/real/recovery/zookeeper.js";
import { ZkClient, zk } from "../../../src/real/recovery/zkClient.js";
import { parseRecoverySpec } from "../../../src/real/recovery/spec.js";
import { openRecovery } from "../../../src/real/recovery/index.js";
import { appRecord, driverRecord, workerRecord } from "./records.js";
import { ZkTestServer, zooKeeperMissing } from "./zkServer.js";

describe.skipIf(zooKeeperMissing !== undefined)("zookeeper recovery store (real server)", () => {
  let server: ZkTestServer;
  const opened: { close(): Promise<void> | void }[] = [];
  const open = async (root: string) => {
    const store = await ZooKeeperRecoveryStore.open({
      connectString: server.connectString,
      root,
      sessionTimeoutMs: 3000,
      requestTimeoutMs: 3000,
    });
    opened.push(store);
    return store;
  };

  beforeAll(async () => {
    server = await ZkTestServer.start();
  });
  afterAll(async () => {
    for (const item of opened) await item.close();
    await server?.destroy();
  });

  it("round trip: records persisted by one session are read back by another, under <root>/master_status/<key>", async () => {
    const store = await open("/flint-rt");
    await store.persist("app_app-1", appRecord("app-1"));
    await store.persist("driver_driver-1", driverRecord("driver-1"));
    await store.persist("worker_w1", workerRecord("w1", 2));
    await store.persist("worker_w1", workerRecord("w1", 6)); // overwrite an existing znode
    await store.persist("worker_w2", workerRecord("w2"));
    await store.unpersist("worker_w2");
    await store.unpersist("worker_missing");
    await store.close();

    const again = await open("/flint-rt");
    const { records, problems } = await again.read();
    expect(problems).toEqual([]);
    expect(records.apps.map((a) => a.id)).toEqual(["app-1"]);
    expect(records.drivers.map((d) => d.id)).toEqual(["driver-1"]);
    expect(records.workers).toEqual([expect.objectContaining({ id: "w1", cores: 6 })]);
    expect(again.statusPath).toBe("/flint-rt/master_status");
  });

  it("root isolation: two roots on one server do not see each other's records", async () => {
    const a = await open("/iso/a");
    const b = await open("/iso/b");
    await a.persist("app_only-a", appRecord("only-a"));
    await b.persist("worker_only-b", workerRecord("only-b"));
    expect((await a.read()).records).toEqual({ apps: [expect.objectContaining({ id: "only-a" })], drivers: [], workers: [] });
    expect((await b.read()).records).toEqual({ apps: [], drivers: [], workers: [expect.objectContaining({ id: "only-b" })] });
  });

  it("a corrupt znode is named in problems and skipped (and kept); the rest is recovered", async () => {
    const store = await open("/flint-corrupt");
    await store.persist("app_good", appRecord("good"));
    const raw = await ZkClient.connect(server.connectString, { sessionTimeoutMs: 3000, requestTimeoutMs: 3000 });
    opened.push(raw);
    await raw.create("/flint-corrupt/master_status/app_bad", Buffer.from("\u0000\u0001java-serialized"), zk.CreateMode.PERSISTENT);
    await raw.create("/flint-corrupt/master_status/lock", null, zk.CreateMode.PERSISTENT);

    const { records, problems } = await store.read();
    expect(records.apps.map((a) => a.id)).toEqual(["good"]);
    expect(problems).toEqual([
      expect.stringMatching(/^recovery znode app_bad: not valid JSON \(.+\)$/),
      "recovery znode lock: not a record name (app_/driver_/worker_<id>), ignored",
    ]);
    expect(await raw.exists("/flint-corrupt/master_status/app_bad")).toBe(true);
  });

  it("openRecovery(zookeeper spec) gives a store under the spec's root and an election", async () => {
    const { store, election } = await openRecovery(parseRecoverySpec(`zookeeper:${server.connectString}/via-spec`), {
      sessionTimeoutMs: 3000,
    });
    opened.push(store);
    await store.persist("worker_w9", workerRecord("w9"));
    expect((await (await open("/via-spec")).read()).records.workers.map((w) => w.id)).toEqual(["w9"]);
    await election.stop();
  });

  it("an unreachable server makes open fail within the request timeout", async () => {
    const started = Date.now();
    await expect(ZooKeeperRecoveryStore.open({ connectString: "127.0.0.1:1", requestTimeoutMs: 500 })).rejects.toThrow(/could not connect/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
