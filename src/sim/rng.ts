/**
 * Seeded random streams, one per subsystem (network, faults, workload, and one per node), each
 * forked from the run's seed by name, so that a change in one part of a run does not reshuffle
 * the draws of the others. seedrandom is only used here, always with an explicit seed.
 */
import seedrandom from "seedrandom";

export interface Stream {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** A uint32, e.g. a role's `config.seed`. */
  uint32(): number;
}

/**
 * A stream is seeded on its first draw: seeding (seedrandom's key schedule and its 256 discarded
 * bytes) costs microseconds, and most nodes never draw from their own stream (an executor's is
 * never used), while a big cluster starts thousands of them. A stream's draws do not depend on
 * when it was seeded.
 */
export function stream(seed: number | string, name: string): Stream {
  let prng: seedrandom.PRNG | null = null;
  const seeded = (): seedrandom.PRNG => (prng ??= seedrandom(`${seed}/${name}`));
  const next = (): number => seeded().quick();
  return {
    next,
    int: (min, max) => (max <= min ? min : min + Math.floor(next() * (max - min + 1))),
    chance: (p) => p > 0 && (p >= 1 || next() < p),
    uint32: () => seeded().int32() >>> 0,
  };
}

/** The seed a node's role config gets: the first draw of that node's own stream. */
export function nodeSeed(seed: number | string, nodeName: string): number {
  return seedrandom(`${seed}/node/${nodeName}`).int32() >>> 0;
}
