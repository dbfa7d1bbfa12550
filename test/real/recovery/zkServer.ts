/** The tests' ZooKeeper: src/real/recovery/zkServer.ts with a short tick, so sessions of 0.5-5 s are allowed. */
import { EmbeddedZooKeeper, zooKeeperMissing as missingReason } from "../../../src/real/recovery/zkServer.js";

export { freePort, sleep, waitFor } from "../../../src/real/recovery/zkServer.js";

/** ZooKeeper's tickTime in tests: sessions may last 2-20 ticks, so tests can ask for 0.5-5 s. */
export const TICK_MS = 250;

/** Why ZooKeeper tests are skipped, or undefined when they can run. */
export const zooKeeperMissing: string | undefined = missingReason();
if (zooKeeperMissing) console.warn(`[flint tests] skipping ZooKeeper tests: ${zooKeeperMissing}`);

export const ZkTestServer = {
  start: (): Promise<EmbeddedZooKeeper> => EmbeddedZooKeeper.start({ tickMs: TICK_MS }),
};
export type ZkTestServer = EmbeddedZooKeeper;
