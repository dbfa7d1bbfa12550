// Command-line options shared by the benchmarks.

/** The positive whole number after `name` on the command line, else `fallback`. */
export function optionNumber(name, fallback) {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs a positive whole number, not '${process.argv[at + 1] ?? ""}'`);
  return value;
}
