/**
 * The order test files start in: the longest first, so that the workers finish together instead of
 * one of them running a long file alone at the end. Vitest orders by the durations it cached on an
 * earlier run, but a fresh clone (CI) has no cache and falls back to file size, which puts the
 * chaos files last: they are short, yet each is 40-50 s of real processes on real timers.
 */
import { BaseSequencer, type TestSpecification } from "vitest/node";

/** Files of 15 s or more on a 2-core machine, longest first (measured; re-measure when one grows). */
export const SLOW_FILES: readonly string[] = [
  "test/sim/fuzz.test.ts",
  "test/chaos/mission.test.ts",
  "test/chaos/mission-failover.test.ts",
  "test/chaos/museum.test.ts",
  "test/chaos/partition.test.ts",
  "test/real/recovery/failover.test.ts",
  "test/real/cluster/failures.test.ts",
  "test/package/exports.test.ts",
  "test/sim/determinism.test.ts",
  "test/real/recovery/executor-ids.test.ts",
  "test/real/cluster/local.test.ts",
  "test/real/cluster/cli-errors.test.ts",
  "test/real/netns.test.ts",
];

/** Where `moduleId` stands in SLOW_FILES; files not listed come after them all. */
export function slowRank(moduleId: string): number {
  const rank = SLOW_FILES.findIndex((file) => moduleId.endsWith(`/${file}`));
  return rank < 0 ? SLOW_FILES.length : rank;
}

export default class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // Vitest's own order (cached durations, else size) stays for the files not listed: the sort is stable.
    const ordered = await super.sort(files);
    return ordered.sort((a, b) => slowRank(a.moduleId) - slowRank(b.moduleId));
  }
}
