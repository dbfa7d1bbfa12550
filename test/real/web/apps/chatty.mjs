// Test application for the web UI: each task naps, and says so on its executor's stderr.
export async function chat({ ms, value }) {
  console.error(`chatty task ${value} says hello`);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return value;
}

export async function main(ctx) {
  const out = await ctx.run("chat", [{ ms: 10, value: 0 }]);
  return `sum=${out.reduce((a, b) => a + b, 0)}`;
}
