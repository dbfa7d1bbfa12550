/**
 * Deep copy of plain JSON-like data. Effects must never share objects with the state (an immer
 * draft would leak as a revoked proxy), and `structuredClone` rejects drafts, so we walk the
 * value ourselves.
 */
export function copyPlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item: unknown) => copyPlain(item)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = copyPlain(item);
    return out as T;
  }
  return value;
}
