/**
 * The expectation engine: a scenario's `expect.events`, compiled once, matched against every step
 * of the nodes they are about, and judged at the end (or whenever the run asks whether all are met).
 */
import type { Effect, Input, Message, WorkerConfig } from "../protocol/index.js";
import { workerGiveUpAfterMs } from "../protocol/worker/init.js";
import type { EventExpectation } from "./scenario.js";
import type { SimNode } from "./world.js";

export interface CompiledExpectation {
  spec: EventExpectation;
  matchNode: (node: SimNode) => boolean;
  input: string | null;
  inputMessage: string | null;
  effect: string | null;
  effectSub: string | null;
  /** `spec.fields` as [name, value] pairs, or null when the expectation matches no fields. */
  fields: Array<[string, unknown]> | null;
  /** The field names seen on events of the selected type (only with `fields`): a name never seen is a typo, not a miss. */
  fieldsSeen: Set<string> | null;
  /** Events of the selected type seen, whatever their fields (only with `fields`). */
  typeMatches: number;
  /** Virtual times it happened (first 1000), on which node, and the world's step count then (orders events of the same ms). */
  hits: Array<{ timeMs: number; node: SimNode; step: number }>;
}

export class Expectations {
  readonly all: CompiledExpectation[];

  constructor(specs: readonly EventExpectation[]) {
    this.all = specs.map(compile);
  }

  /** Those about this node (labels, which patterns read, change only with a new incarnation), or null for none. */
  forNode(node: SimNode): CompiledExpectation[] | null {
    const mine = this.all.filter((x) => x.matchNode(node));
    return mine.length > 0 ? mine : null;
  }

  /** Matches one step of `node` against `expectations` (its own); true when one of them was hit. */
  match(
    node: SimNode,
    expectations: readonly CompiledExpectation[],
    now: number,
    step: number,
    input: Input | null,
    effects: readonly Effect[],
  ): boolean {
    let any = false;
    for (const x of expectations) {
      let hit = false;
      if (x.input !== null) {
        const type = input === null ? "init" : input.type;
        hit =
          type === x.input &&
          (x.inputMessage === null ||
            (input?.type === "message" && input.message.type === x.inputMessage) ||
            (input?.type === "timer" && input.key === x.inputMessage));
        if (hit && x.fields !== null) hit = input?.type === "message" && fieldsMatch(x, input.message);
      } else {
        for (const e of effects) {
          if (e.type !== x.effect) continue;
          if (x.effectSub !== null) {
            const sub =
              e.type === "send"
                ? e.message.type
                : e.type === "notify"
                  ? e.notification.kind
                  : e.type === "log"
                    ? e.event
                    : e.type === "setTimer"
                      ? e.key
                      : null;
            if (sub !== x.effectSub) continue;
          }
          if (x.spec.code !== undefined && !(e.type === "exit" && e.code === x.spec.code)) continue;
          if (x.fields !== null) {
            const subject = e.type === "send" ? e.message : e.type === "notify" ? e.notification : e.type === "log" ? e.fields : null;
            if (subject === null || !fieldsMatch(x, subject)) continue;
          }
          hit = true;
          break;
        }
      }
      if (hit && x.hits.length < 1000) {
        x.hits.push({ timeMs: now, node, step });
        any = true;
      }
    }
    return any;
  }

  /** Whether every expectation that needs something to happen has been met (absent ones are judged at the end). */
  allPositiveMet(): boolean {
    return this.all.every((x) => x.spec.absent || this.problem(x) === null);
  }

  /** One line per unmet expectation. */
  problems(): string[] {
    const out: string[] = [];
    for (const x of this.all) {
      const problem = this.problem(x);
      if (problem !== null) out.push(problem);
    }
    return out;
  }

  /** Why `x` is not met, or null when it is. */
  problem(x: CompiledExpectation): string | null {
    const s = x.spec;
    const what = describe(x);
    // A field name no event of the selected type ever carried is a typo: the check could otherwise never fail.
    if (x.fields !== null && x.typeMatches > 0) {
      const unseen = x.fields.map(([k]) => k).filter((k) => !x.fieldsSeen!.has(k));
      if (unseen.length > 0)
        return `${what}: ${x.typeMatches} events of that type were seen, none with a field ${unseen.map((k) => JSON.stringify(k)).join(" or ")} (fields they have: ${[...x.fieldsSeen!].join(", ")})`;
    }
    const hits = hitsOf(x);
    const window = `${s.afterMs !== undefined ? ` after ${s.afterMs} ms` : ""}${s.byMs !== undefined ? ` by ${s.byMs} ms` : ""}`;
    if (s.absent) return hits.length === 0 ? null : `${what} happened at ${hits[0]!.timeMs} ms but must not`;
    if (s.count !== undefined) {
      if (hits.length !== s.count)
        return `${what}: expected exactly ${s.count}${window}, saw ${hits.length}${hits.length >= 1000 ? " or more" : ""}`;
      if (s.count === 0) return null;
    } else if (hits.length < s.minCount) return `${what}: expected at least ${s.minCount}${window}, saw ${hits.length}`;
    if (s.atMs !== undefined) {
      const first = hits[0]!;
      const want = s.atMs === "workerGiveUp" ? predictedGiveUpMs(first.node) : s.atMs;
      if (first.timeMs !== want)
        return `${what}: expected at ${want} ms${s.atMs === "workerGiveUp" ? " (docs/protocol.md §2.2: 6 initial + 11 prolonged intervals)" : ""}, happened at ${first.timeMs} ms`;
    }
    if (s.before !== undefined) {
      const other = this.all[s.before]!;
      const mine = hits[0]!;
      const theirs = hitsOf(other)[0];
      const otherWhat = `expect.events[${s.before}] (${describe(other)})`;
      if (theirs === undefined) return `${what}: expected before ${otherWhat}, which never happened`;
      if (mine.step >= theirs.step)
        return `${what}: expected before ${otherWhat}, but happened first at ${mine.timeMs} ms, after it (first at ${theirs.timeMs} ms)`;
    }
    return null;
  }
}

function compile(spec: EventExpectation): CompiledExpectation {
  const pattern = spec.node;
  let matchNode: (node: SimNode) => boolean;
  if (pattern.startsWith("app:")) matchNode = (n) => n.kind === "driver" && n.labels["app"] === pattern.slice(4);
  else if (pattern.startsWith("driver:")) matchNode = (n) => n.kind === "driver" && n.labels["driver"] === pattern.slice(7);
  else if (pattern.endsWith("*")) matchNode = (n) => n.name.startsWith(pattern.slice(0, -1));
  else matchNode = (n) => n.name === pattern;
  const [input, inputMessage] = spec.input === undefined ? [null, null] : split(spec.input);
  const [effect, effectSub] = spec.effect === undefined ? [null, null] : split(spec.effect);
  const fields = spec.fields === undefined ? null : Object.entries(spec.fields);
  return {
    spec,
    matchNode,
    input,
    inputMessage,
    effect,
    effectSub,
    fields,
    fieldsSeen: fields === null ? null : new Set(),
    typeMatches: 0,
    hits: [],
  };
}

/** Whether an event of the selected type has the expected field values; notes the field names it has. */
function fieldsMatch(x: CompiledExpectation, subject: Message | object): boolean {
  x.typeMatches++;
  const o = subject as Record<string, unknown>;
  for (const key of Object.keys(o)) x.fieldsSeen!.add(key);
  for (const [key, want] of x.fields!) if (!jsonEqual(o[key], want)) return false;
  return true;
}

/** The virtual time docs/protocol.md §2.2 predicts a worker gives up: the worker role's own formula, from its start. */
export function predictedGiveUpMs(node: SimNode): number {
  const c = node.config as WorkerConfig;
  return node.startedAtMs + workerGiveUpAfterMs(c.protocol, c.seed);
}

function hitsOf(x: CompiledExpectation): CompiledExpectation["hits"] {
  const s = x.spec;
  return x.hits.filter((h) => (s.afterMs === undefined || h.timeMs >= s.afterMs) && (s.byMs === undefined || h.timeMs <= s.byMs));
}

function describe(x: CompiledExpectation): string {
  const s = x.spec;
  return `${s.label !== undefined ? `[${s.label}] ` : ""}${s.node} ${s.input !== undefined ? `input ${s.input}` : `effect ${s.effect}`}${s.code !== undefined ? ` code ${s.code}` : ""}${s.fields !== undefined ? ` with ${JSON.stringify(s.fields)}` : ""}`;
}

/** Equality of JSON values (a message field against the value a scenario expects). */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

function split(s: string): [string, string | null] {
  const i = s.indexOf(":");
  return i < 0 ? [s, null] : [s.slice(0, i), s.slice(i + 1)];
}
