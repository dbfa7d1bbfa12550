// Test application: tasks that return, throw, return what cannot travel, or spin.
export function square(x) {
  return x * x;
}
export function boom(x) {
  if (x === 1) throw new RangeError(`input ${x} is out of range`);
  return x;
}
export function unserializable() {
  return () => 1;
}
export function nested() {
  return { a: [1, new Map([["k", 1]])] };
}
export function echo(x) {
  return x;
}
export function spin({ ms }) {
  const end = Date.now() + ms;
  while (Date.now() < end) {}
  return "spun";
}
export async function main(ctx) {
  const out = await ctx.run("square", [1, 2, 3]);
  return { squares: out, argv: ctx.argv };
}
