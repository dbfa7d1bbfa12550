/**
 * Opens the store and the election a `--recovery` spec names (docs/protocol.md §3.3): FILESYSTEM gives
 * a directory store (locked to one master) and a monarchy (elected at once); ZOOKEEPER gives a
 * znode store and a real election sharing one root; NONE keeps the records in memory.
 */
import { FileSystemRecoveryStore, monarchyElection } from "./filesystem.js";
import type { RecoverySpec } from "./spec.js";
import type { DurableRecoveryStore, LeaderElection } from "./types.js";
import { ZooKeeperLeaderElection, type ZooKeeperElectionOptions } from "./election.js";
import { ZooKeeperRecoveryStore } from "./zookeeper.js";
import { InMemoryRecoveryStore } from "./memory.js";

export * from "./types.js";
export { FileSystemRecoveryStore, monarchyElection } from "./filesystem.js";
export { ZooKeeperRecoveryStore } from "./zookeeper.js";
export { InMemoryRecoveryStore } from "./memory.js";
export { ZooKeeperLeaderElection } from "./election.js";
export { parseRecoverySpec, RecoverySpecError, type RecoverySpec } from "./spec.js";

export interface OpenedRecovery {
  store: DurableRecoveryStore;
  election: LeaderElection;
}

export type RecoveryTuning = Omit<ZooKeeperElectionOptions, "connectString" | "root">;

export async function openRecovery(spec: RecoverySpec, tuning: RecoveryTuning = {}): Promise<OpenedRecovery> {
  switch (spec.mode) {
    case "none":
      return { store: new InMemoryRecoveryStore(), election: monarchyElection() };
    case "filesystem":
      return { store: await FileSystemRecoveryStore.open(spec.dir), election: monarchyElection() };
    case "zookeeper": {
      const store = await ZooKeeperRecoveryStore.open({
        connectString: spec.connectString,
        root: spec.root,
        sessionTimeoutMs: tuning.sessionTimeoutMs,
        requestTimeoutMs: tuning.requestTimeoutMs,
      });
      return { store, election: new ZooKeeperLeaderElection({ ...tuning, connectString: spec.connectString, root: spec.root }) };
    }
  }
}
