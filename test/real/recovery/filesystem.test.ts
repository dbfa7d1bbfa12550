import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hostname } from "node:os";
import { spawnSync } from "node:child_process";
import {
  FileSystemRecoveryStore,
  LOCK_FILE,
  monarchyElection,
  RecoveryDirectoryInUse,
  writeDurably,
} from "../../../src/real/recovery/filesystem.js";
import { encodeRecord } from "../../../src/real/recovery/codec.js";
import { openRecovery, parseRecoverySpec } from "../../../src/real/recovery/index.js";
import { appRecord, driverRecord, workerRecord } from "./records.js";

/** The record files in `d`: everything but the lock and temporary files (dot files). */
const recordFiles = (d: string): string[] => readdirSync(d).filter((name) => !name.startsWith("."));

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "flint-fs-store-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("filesystem recovery store", () => {
  it("round trip: what is persisted is read back by a new store on the same directory", async () => {
    const store = await FileSystemRecoveryStore.open(dir);
    await store.persist("app_app-1", appRecord("app-1"));
    await store.persist("driver_driver-1", driverRecord("driver-1"));
    await store.persist("worker_worker-1", workerRecord("worker-1"));
    await store.persist("worker_worker-1", workerRecord("worker-1", 8)); // overwrite
    await store.close();

    const reopened = await FileSystemRecoveryStore.open(dir);
    const { records, problems } = await reopened.read();
    expect(problems).toEqual([]);
    expect(records.apps).toEqual([expect.objectContaining({ id: "app-1", desc: { name: "pi" }, startTimeMs: 1000 })]);
    expect(records.drivers.map((d) => d.id)).toEqual(["driver-1"]);
    expect(records.workers).toEqual([expect.objectContaining({ id: "worker-1", cores: 8 })]);
    expect(recordFiles(dir).sort()).toEqual(["app_app-1", "driver_driver-1", "worker_worker-1"]);
    const onDisk = JSON.parse(readFileSync(join(dir, "app_app-1"), "utf8"));
    expect(onDisk).toMatchObject({ format: "flint-record", version: 1, key: "app_app-1", record: { kind: "app" } });
  });

  it("unpersist removes the record, and unpersisting a missing key is fine", async () => {
    const store = await FileSystemRecoveryStore.open(dir);
    await store.persist("app_app-1", appRecord("app-1"));
    await store.unpersist("app_app-1");
    await store.unpersist("app_app-1");
    await store.unpersist("worker_never");
    expect((await store.read()).records).toEqual({ apps: [], drivers: [], workers: [] });
    expect(recordFiles(dir)).toEqual([]);
  });

  it("atomic write: a crash after the temp file is written but before the rename leaves the old record, and the temp file is cleaned", async () => {
    const store = await FileSystemRecoveryStore.open(dir);
    await store.persist("worker_w1", workerRecord("w1", 2));
    // What persist does up to the crash point: a complete, fsynced temp file in the same directory.
    await writeDurably(join(dir, ".tmp-worker_w1-deadbeef"), encodeRecord("worker_w1", workerRecord("w1", 16)));
    writeFileSync(join(dir, ".tmp-app_a-torn"), '{"format":"flint-rec'); // a torn temp write

    const { records, problems } = await store.read();
    expect(problems).toEqual([]);
    expect(records.workers).toEqual([expect.objectContaining({ id: "w1", cores: 2 })]);

    await FileSystemRecoveryStore.open(dir); // the restarted master's open cleans leftovers
    expect(recordFiles(dir)).toEqual(["worker_w1"]);
  });

  it("a corrupt file is named in problems and skipped; the other records are recovered", async () => {
    const store = await FileSystemRecoveryStore.open(dir);
    await store.persist("app_good", appRecord("good"));
    await store.persist("worker_good", workerRecord("good"));
    writeFileSync(join(dir, "app_torn"), '{"format":"flint-record","version":1,"key":"app_t'); // torn JSON
    writeFileSync(join(dir, "app_empty"), "");
    writeFileSync(join(dir, "driver_alien"), JSON.stringify({ hello: "world" }));
    writeFileSync(join(dir, "driver_future"), JSON.stringify({ format: "flint-record", version: 2, key: "driver_future", record: {} }));
    writeFileSync(join(dir, "worker_moved"), encodeRecord("worker_good", workerRecord("good")));
    writeFileSync(
      join(dir, "worker_shape"),
      JSON.stringify({ format: "flint-record", version: 1, key: "worker_shape", record: { kind: "worker", worker: { id: "shape" } } }),
    );
    writeFileSync(join(dir, "notes.txt"), "operator notes");

    const { records, problems } = await store.read();
    expect(records.apps.map((a) => a.id)).toEqual(["good"]);
    expect(records.workers.map((w) => w.id)).toEqual(["good"]);
    expect(records.drivers).toEqual([]);
    expect(problems).toEqual([
      "recovery file app_empty: empty",
      expect.stringMatching(/^recovery file app_torn: not valid JSON \(.+\)$/),
      "recovery file driver_alien: not a flint-record (wrong format)",
      "recovery file driver_future: unsupported version 2",
      "recovery file notes.txt: not a record name (app_/driver_/worker_<id>), ignored",
      'recovery file worker_moved: holds key "worker_good", not worker_moved',
      "recovery file worker_shape: record has the wrong shape",
    ]);
    // Never deleted: the operator can inspect them.
    expect(recordFiles(dir)).toContain("app_torn");
  });

  it("refuses a key that does not name its record (a programmer error)", async () => {
    const store = await FileSystemRecoveryStore.open(dir);
    await expect(store.persist("app_other", appRecord("app-1"))).rejects.toThrow(/does not match/);
    await expect(store.persist("../escape", appRecord("app-1"))).rejects.toThrow(/not app_/);
    await expect(store.unpersist("../escape")).rejects.toThrow(/not app_/);
  });

  it("a closed store refuses further use", async () => {
    const store = await FileSystemRecoveryStore.open(dir);
    await store.close();
    await expect(store.read()).rejects.toThrow(/closed/);
  });

  it("monarchy election: elected at start, never revoked (FILESYSTEM mode)", async () => {
    const events: string[] = [];
    const election = monarchyElection();
    await election.start({ elected: () => events.push("elected"), revoked: (why) => events.push(`revoked ${why}`) });
    await expect(election.start({ elected() {}, revoked() {} })).rejects.toThrow(/already/);
    await election.stop();
    expect(events).toEqual(["elected"]);
  });

  it("openRecovery(filesystem spec) gives a directory store and a monarchy election", async () => {
    const { store, election } = await openRecovery(parseRecoverySpec(`filesystem:${dir}/nested`));
    await store.persist("app_a", appRecord("a"));
    let elected = false;
    await election.start({ elected: () => (elected = true), revoked: () => {} });
    expect(elected).toBe(true);
    expect(recordFiles(join(dir, "nested"))).toEqual(["app_a"]);
    await election.stop();
    await store.close();
  });

  it("lock: a directory held by another live master is refused, naming the lock file and the holder", async () => {
    // The parent of this test process is alive and is not us: it stands for another master.
    writeFileSync(join(dir, LOCK_FILE), `${process.ppid}@${hostname()}\n`);
    const opened = FileSystemRecoveryStore.open(dir);
    await expect(opened).rejects.toBeInstanceOf(RecoveryDirectoryInUse);
    await expect(FileSystemRecoveryStore.open(dir)).rejects.toThrow(new RegExp(`in use by process ${process.ppid}@.*\\.lock`));
    writeFileSync(join(dir, LOCK_FILE), "1234@some-other-host\n");
    await expect(FileSystemRecoveryStore.open(dir)).rejects.toThrow(/some-other-host/);
  });

  it("lock: a lock left by a dead process (a master killed with -9) is taken over, and released on close", async () => {
    const dead = spawnSync(process.execPath, ["-e", "process.exit(0)"]).pid!;
    writeFileSync(join(dir, LOCK_FILE), `${dead}@${hostname()}\n`);
    const store = await FileSystemRecoveryStore.open(dir);
    expect(readFileSync(join(dir, LOCK_FILE), "utf8").trim()).toBe(`${process.pid}@${hostname()}`);
    await store.persist("app_app-1", appRecord("app-1"));
    expect((await store.read()).problems).toEqual([]);
    await store.close();
    expect(readdirSync(dir)).toEqual(["app_app-1"]);
  });
});
