/**
 * Programmer errors (a broken invariant) throw; operating errors are handled and logged
 * (STYLE.md rule 8). No `node:assert` here: src/protocol imports nothing outside itself.
 */
export class AssertionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AssertionError";
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

export function assertNever(value: never, what = "value"): never {
  throw new AssertionError(`unexpected ${what}: ${JSON.stringify(value)}`);
}
