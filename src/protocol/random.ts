/**
 * A tiny pure PRNG (mulberry32) whose whole state is one uint32 kept inside a role's state, so
 * that roles stay deterministic and their state stays plain data. Seeded from `config.seed`,
 * which the host supplies (the simulator from the run's seed, a real host from a random source).
 */
export interface RngState {
  /** The generator's 32-bit state. */
  rng: number;
}

export function seedRng(seed: number): number {
  // Mix the seed so that neighbouring seeds give unrelated streams.
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** A float in [0, 1); advances the state held in `holder`. */
export function nextFloat(holder: RngState): number {
  holder.rng = (holder.rng + 0x6d2b79f5) >>> 0;
  let t = holder.rng;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Fisher-Yates shuffle of a fresh copy (Spark's `Random.shuffle`). */
export function shuffled<T>(holder: RngState, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(nextFloat(holder) * (i + 1));
    const tmp = out[i]!;
    out[i] = out[j]!;
    out[j] = tmp;
  }
  return out;
}
