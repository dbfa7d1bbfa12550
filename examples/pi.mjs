// Monte Carlo pi on a flint cluster.
//
//   npx flint local                      # a local cluster runs this file
//   npx flint submit examples/pi.mjs --master flint://host:7077 -- 40 200000
//
// A flint application is an ES module: its exported functions are tasks (each gets one input and
// returns structured data), and `main(ctx)` is the driver program: `ctx.run(fn, inputs)` runs one
// task per input on the executors and resolves with the results in input order. What `main`
// returns is printed. The module is shipped to the executors, so keep it self-contained.

/** A task: throws `samples` darts at the unit square, counts those inside the quarter circle. */
export function sample({ seed, samples }) {
  // A small deterministic PRNG (mulberry32), so a slice gives the same count wherever it runs.
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let inside = 0;
  for (let i = 0; i < samples; i++) {
    const x = next();
    const y = next();
    if (x * x + y * y <= 1) inside++;
  }
  return inside;
}

/** The driver program: `[slices] [samplesPerSlice]` as arguments. */
export async function main(ctx) {
  const slices = Number(ctx.argv[0] ?? 20);
  const samples = Number(ctx.argv[1] ?? 200_000);
  const inputs = Array.from({ length: slices }, (_, i) => ({ seed: 1 + i * 7919, samples }));
  const counts = await ctx.run("sample", inputs);
  const inside = counts.reduce((sum, n) => sum + n, 0);
  const pi = (4 * inside) / (slices * samples);
  return `Pi is roughly ${pi.toFixed(6)} (${slices} tasks x ${samples} samples)`;
}
