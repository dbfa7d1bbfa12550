// Test application: tasks that take a while, so that a test can break things mid-job.
export async function nap({ ms, value }) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
}

export function fail(x) {
  if (x === 1) throw new RangeError(`input ${x} is out of range`);
  return x;
}

export function spin({ ms }) {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
  return "spun";
}

/** argv: [tasks] [ms per task]; returns the sum of the task indices. */
export async function main(ctx) {
  const tasks = Number(ctx.argv[0] ?? 40);
  const ms = Number(ctx.argv[1] ?? 200);
  const out = await ctx.run(
    "nap",
    Array.from({ length: tasks }, (_, i) => ({ ms, value: i })),
  );
  return `sum=${out.reduce((a, b) => a + b, 0)}`;
}
