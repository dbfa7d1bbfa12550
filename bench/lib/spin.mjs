// A task for benchmarks that keeps its core busy (bench/real.js --journal-cost --task-us N).

/** Spins `us` microseconds, then returns `index`. */
export function spin({ index, us }) {
  const end = performance.now() + us / 1000;
  while (performance.now() < end);
  return index;
}
