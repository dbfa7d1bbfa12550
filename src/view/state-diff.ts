/**
 * What one step changed in a node's state, as a list of changes (path, new value or deletion), and
 * the snapshot the next step is compared against. States are plain data (STYLE rule 4): objects,
 * arrays, strings, numbers, booleans, null. The walk compares the live state with the last
 * snapshot and updates the snapshot in place where they differ, so a step costs one walk of the
 * state and copies only what changed.
 */

/** A path into a state: object keys and array indices. */
export type StatePath = Array<string | number>;

/** One change: `[path, value]` sets the path (the empty path replaces the whole state); `[path]` deletes it. */
export type StateChange = [StatePath] | [StatePath, unknown];

type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };

/** A deep copy of plain data (undefined fields dropped, as JSON drops them). */
export function copyPlain(v: unknown): Plain {
  if (typeof v !== "object" || v === null) return v as Plain;
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : copyPlain(x)));
  const out: Record<string, Plain> = {};
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) out[k] = copyPlain(x);
  }
  return out;
}

/** A node's state between its steps: the copy the next step's state is compared with. */
export class StateTracker {
  private snapshot: Plain | undefined = undefined;
  /** Values compared so far, by every tracker: what diffing has cost (a capture puts a limit on it). */
  static visits = 0;

  /** Forget the state (the node crashed or exited: its next state starts from its init). */
  reset(): void {
    this.snapshot = undefined;
  }

  /** The changes from the last state to `live`, and `live` becomes the last state. */
  changes(live: unknown): StateChange[] {
    const out: StateChange[] = [];
    if (this.snapshot === undefined || !sameShape(this.snapshot, live)) {
      this.snapshot = copyPlain(live);
      out.push([[], copyPlain(live)]);
      return out;
    }
    walk(this.snapshot as Record<string, Plain> | Plain[], live as Record<string, unknown> | unknown[], [], out);
    return out;
  }
}

function sameShape(a: unknown, b: unknown): boolean {
  return typeof a === "object" && a !== null && typeof b === "object" && b !== null && Array.isArray(a) === Array.isArray(b);
}

/** Compares `live` with `snap` (same container kind), records changes under `path` and brings `snap` up to date. */
function walk(snap: Record<string, Plain> | Plain[], live: Record<string, unknown> | unknown[], path: StatePath, out: StateChange[]): void {
  if (Array.isArray(snap)) {
    const arr = live as unknown[];
    const common = Math.min(snap.length, arr.length);
    for (let i = 0; i < common; i++) visit(snap, i, arr[i], path, out);
    for (let i = common; i < arr.length; i++) {
      const v = arr[i] === undefined ? null : copyPlain(arr[i]);
      snap.push(v);
      out.push([[...path, i], copyPlain(v)]);
    }
    // Removed elements: deleted from the end, highest index first (what a reader replays in order).
    for (let i = snap.length - 1; i >= arr.length; i--) out.push([[...path, i]]);
    snap.length = arr.length;
    return;
  }
  const obj = live as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (obj[k] === undefined) continue;
    if (!Object.hasOwn(snap, k)) {
      snap[k] = copyPlain(obj[k]);
      out.push([[...path, k], copyPlain(obj[k])]);
      continue;
    }
    visit(snap, k, obj[k], path, out);
  }
  for (const k of Object.keys(snap)) {
    if (obj[k] === undefined) {
      delete snap[k];
      out.push([[...path, k]]);
    }
  }
}

function visit(parent: Record<string, Plain> | Plain[], key: string | number, live: unknown, path: StatePath, out: StateChange[]): void {
  StateTracker.visits++;
  const before = (parent as Record<string | number, Plain>)[key];
  if (live === before) return;
  if (typeof live === "object" && live !== null && sameShape(before, live)) {
    path.push(key);
    walk(before as Record<string, Plain> | Plain[], live as Record<string, unknown> | unknown[], path, out);
    path.pop();
    return;
  }
  const v = live === undefined ? null : copyPlain(live);
  if (typeof v !== "object" && v === before) return;
  (parent as Record<string | number, Plain>)[key] = v;
  out.push([[...path, key], copyPlain(v)]);
}

/** Applies changes to a state copy (the page does the same in its own script); returns the new state. */
export function applyChanges(state: unknown, changes: readonly StateChange[]): unknown {
  let root = state;
  for (const c of changes) {
    const [path] = c;
    if (path.length === 0) {
      root = c.length === 2 ? copyPlain(c[1]) : undefined;
      continue;
    }
    let parent = root as Record<string | number, unknown>;
    for (let i = 0; i < path.length - 1; i++) parent = parent[path[i]!] as Record<string | number, unknown>;
    const last = path[path.length - 1]!;
    if (c.length === 2) parent[last] = copyPlain(c[1]);
    else if (Array.isArray(parent)) parent.length = Math.min(parent.length, last as number);
    else delete parent[last];
  }
  return root;
}
