// A no-op application for benchmarks: each task returns its input at once.
//   npx flint local examples/noop.mjs -- 10000

/** A task that does nothing but echo its input. */
export function noop(input) {
  return input;
}

/** Runs `tasks` no-op tasks (default 1000) and reports the throughput. */
export async function main(ctx) {
  const tasks = Number(ctx.argv[0] ?? 1000);
  const started = performance.now();
  const out = await ctx.run(
    "noop",
    Array.from({ length: tasks }, (_, i) => i),
  );
  const seconds = (performance.now() - started) / 1000;
  return `${out.length} no-op tasks in ${seconds.toFixed(2)} s (${Math.round(out.length / seconds)} tasks/s)`;
}
