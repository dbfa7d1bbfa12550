/**
 * `flint replay`: re-runs every node's reducer from its journal and checks that each step gives
 * exactly the effects that were recorded (a difference is nondeterminism, or code that changed),
 * and runs the simulator's invariants over the merged history of the whole cluster.
 *
 * The merged history interleaves the nodes' steps by their clocks (the nodes of one machine share
 * it), with one causal rule on top: a node does not take a message before the step that sent it
 * has been replayed. A message is matched to its send by its id (src/real/framing.ts): a receipt's
 * record names the sender's pid, step and effect index (`m`, src/real/journal/format.ts), which is
 * exactly one send effect in one journal. A receipt whose id names no recorded send is counted
 * when the sender's journal ends before that step (its last records were lost with a killed
 * process) or begins after it (a deleted segment), and reported otherwise (`unmatchedReceipts`: a
 * corrupt journal, or a recorder that wrote the wrong id). Journals of an older flint carry no ids:
 * their messages are matched by sender, receiver and content, in the order the pair's TCP
 * connection keeps, skipping sends that never arrived (a connection that broke). A receiver whose
 * sender has no journal (a `flint submit` client) is not held back.
 */
import type { Effect, Input } from "../protocol/io.js";
import type { Address } from "../protocol/ids.js";
import type { Message } from "../protocol/messages.js";
import { Checks, type Violation } from "../sim/checks.js";
import type { Election } from "../sim/election.js";
import type { SimNode } from "../sim/world.js";
import type { ReplayCode, AnyRole } from "./code.js";
import type { NodeJournal } from "./reader.js";

/** A step whose replayed effects differ from the recorded ones. */
export interface Divergence {
  file: string;
  node: string;
  role: string;
  /** The step number (0: init). */
  step: number;
  input: unknown;
  /** Index of the first effect that differs (or the shorter list's length). */
  index: number;
  expected: unknown;
  got: unknown;
}

export interface ReplayResult {
  nodes: number;
  steps: number;
  divergence: Divergence | null;
  /** Invariant violations, in the order they were found (the first is the one to read). */
  violations: Array<Violation & { file: string; nodeStep: number }>;
  weaknesses: Violation[];
  /**
   * Messages received from a node whose journal holds no such send: its last buffered records were
   * lost when its process was killed (the journal is flushed every 100 ms, not before each send).
   */
  unrecordedSends: number;
  /** Messages received whose send was in a segment of the sender's journal that rotation deleted. */
  sendsInDeletedSegments: number;
  /** Receipts whose id names no send that the sender's journal holds where it should (in replay order). */
  unmatchedReceipts: UnmatchedReceipt[];
}

/** A received message whose id (`m`) names no matching send in its sender's journal. */
export interface UnmatchedReceipt {
  file: string;
  node: string;
  role: string;
  /** The receiver's step that took the message. */
  step: number;
  from: string;
  type: string;
  /** The id as recorded: [sender pid, sender step, effect index]. */
  id: [number, number, number];
  /** What the sender's journal holds instead, in words. */
  why: string;
}

interface Run {
  journal: NodeJournal;
  role: AnyRole;
  node: SimNode;
  state: unknown;
  next: number;
  /** Whether it was told it leads (a master fed `leaderElected`). */
  leading: boolean;
}

const stringify = (v: unknown): string => JSON.stringify(v) ?? "undefined";

/** JSON with every object's keys sorted: two effects are the same whatever order their fields were written in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
  }
  return stringify(v);
}

function firstDifference(expected: readonly unknown[], got: readonly unknown[]): number {
  const n = Math.min(expected.length, got.length);
  for (let i = 0; i < n; i++) if (canonical(expected[i]) !== canonical(got[i])) return i;
  return expected.length === got.length ? -1 : n;
}

/** A message id as a journal records it: [sender pid, sender step, effect index]. */
type MessageIdTuple = [number, number, number];

/** The key of a send by its id: the sender's address and the id (the pid tells restarts on one address apart). */
const idKey = (from: string, pid: number, step: number, index: number): string => `${from}|${pid}|${step}|${index}`;

/** A replayed send not yet matched with its delivery. */
interface Sent {
  to: string;
  text: string;
  message: Message;
  /** Its id's key. */
  key: string;
  /** Its pair's queue and its place in it (emptied when it is matched). */
  queue: PairQueue;
  slot: number;
}

/** One sender-receiver pair's sends, in send order; `head`: the first not yet matched or passed over. */
interface PairQueue {
  items: Array<Sent | null>;
  head: number;
}

/**
 * Sends not yet matched with their delivery: by id, and per `sender|receiver` in send order (the
 * content pairing for journals without ids). Each holds the message object the sender's replayed
 * step made, and its JSON to compare deliveries with.
 */
class InFlight {
  private readonly queues = new Map<string, PairQueue>();
  private readonly byId = new Map<string, Sent>();

  sent(from: string, to: string, message: Message, pid: number, step: number, index: number): void {
    const pair = `${from}|${to}`;
    let q = this.queues.get(pair);
    if (!q) this.queues.set(pair, (q = { items: [], head: 0 }));
    const item: Sent = { to, text: stringify(message), message, key: idKey(from, pid, step, index), queue: q, slot: q.items.length };
    q.items.push(item);
    this.byId.set(item.key, item);
  }

  /** The unmatched send with this id, if any. */
  byIdKey(key: string): Sent | undefined {
    return this.byId.get(key);
  }

  /** Takes a send matched by its id: its place in the pair's queue is emptied (the sends before it may still come). */
  takeById(item: Sent): void {
    this.byId.delete(item.key);
    const q = item.queue;
    q.items[item.slot] = null;
    while (q.head < q.items.length && q.items[q.head] === null) q.head++;
    if (q.head === q.items.length) {
      q.items = [];
      q.head = 0;
    }
  }

  private find(from: string, to: string, message: unknown): { q: PairQueue; i: number } | undefined {
    const q = this.queues.get(`${from}|${to}`);
    if (!q) return undefined;
    const text = stringify(message);
    for (let i = q.head; i < q.items.length; i++) if (q.items[i]?.text === text) return { q, i };
    return undefined;
  }

  /**
   * Takes the delivery of `message` by content (journals without ids): the sender's own message
   * object when its send was replayed (the sends before it on the pair were lost), so that the
   * checks see the object that was sent, as in the simulator.
   */
  take(from: string, to: string, message: unknown): Message | undefined {
    const found = this.find(from, to, message);
    if (found === undefined) return undefined;
    const sent = found.q.items[found.i]!.message;
    for (let k = found.q.head; k <= found.i; k++) {
      const item = found.q.items[k];
      if (item) this.byId.delete(item.key);
      found.q.items[k] = null;
    }
    found.q.head = found.i + 1;
    return sent;
  }

  has(from: string, to: string, message: unknown): boolean {
    return this.find(from, to, message) !== undefined;
  }
}

/** The steps a journal holds: from its first (0: init, for a first segment) to its last. */
function stepRange(j: NodeJournal): { first: number; last: number } {
  const first = j.header.segment === 0 ? 0 : (j.header.firstStep ?? 1);
  return { first, last: j.records.at(-1)?.s ?? first - (j.header.segment === 0 ? 0 : 1) };
}

/** What a journal holds at `id` instead of a send of `message` to `to`, in words (undefined: that very send). */
function whyNoSend(j: NodeJournal, id: MessageIdTuple, to: string, message: unknown): string {
  const [pid, step, index] = id;
  const where = `${j.node} (pid ${pid}, ${j.file})`;
  const effects = step === 0 ? (j.header.initEffects ?? []) : j.records.find((r) => r.s === step)?.e;
  if (effects === undefined) return `${where} has no step ${step}`;
  const effect = effects[index] as Effect | undefined;
  if (effect === undefined) return `step ${step} of ${where} has ${effects.length} effects, none at index ${index}`;
  if (effect.type !== "send") return `effect ${index} of step ${step} of ${where} is a ${effect.type}, not a send`;
  if (effect.to !== to) return `effect ${index} of step ${step} of ${where} is a send to ${effect.to}`;
  if (stringify(effect.message) !== stringify(message))
    return `effect ${index} of step ${step} of ${where} sent other content: ${stringify(effect.message).slice(0, 200)}`;
  return `effect ${index} of step ${step} of ${where} was taken by an earlier receipt with the same id`;
}

/** When a journal's node started (init), or its oldest remaining segment's first step. */
const startTime = (j: NodeJournal): number => j.header.initNow ?? j.records[0]?.t ?? 0;

function newRun(journal: NodeJournal, code: ReplayCode, key: number, incarnation: number): Run {
  const role = code.roles[journal.role as keyof ReplayCode["roles"]];
  const node = {
    key,
    name: journal.node,
    kind: journal.role,
    state: null,
    alive: false,
    paused: false,
    incarnation,
    labels: {},
  } as unknown as SimNode;
  return { journal, role, node, state: null, next: 0, leading: false };
}

/**
 * Starts a node: init from its config (compared with the recorded init effects), or the state
 * snapshot of its oldest remaining segment.
 */
function start(run: Run): Divergence | null {
  const h = run.journal.header;
  run.node.alive = true;
  if (h.segment > 0) {
    run.state = structuredClone(h.state);
    run.node.state = run.state;
    return null;
  }
  const { state, effects } = run.role.init(structuredClone(h.config), { now: h.initNow! });
  run.state = state;
  run.node.state = state;
  const index = firstDifference(h.initEffects!, effects);
  if (index < 0) return null;
  return {
    file: run.journal.file,
    node: h.node,
    role: h.role,
    step: 0,
    input: "init",
    index,
    expected: h.initEffects![index],
    got: effects[index],
  };
}

/**
 * One replayed step, as `flint view` draws it: the node's journal (one per incarnation), the step
 * number in it (0: its start, init or a later segment's snapshot), the input (null at the start)
 * with a delivered message being the very object its replayed send carried (matched as above;
 * another object when no send was recorded), the effects (a send's message is the object a later
 * delivery carries), and the node's live state after the step (the observer must copy what it keeps).
 */
export interface ReplayedStep {
  journal: NodeJournal;
  nodeStep: number;
  timeMs: number;
  input: Input | null;
  effects: readonly Effect[];
  state: unknown;
}

export interface ReplayOptions {
  checks?: boolean;
  /** Called for every step in the merged order, before its checks (the index of the call is the step a violation names). */
  onStep?: (step: ReplayedStep) => void;
  /** Replay on after the first violation (checks stop there): a viewer shows the whole run. */
  pastViolation?: boolean;
  /**
   * The pids of journals left out (empty: their processes were killed before their first write):
   * a message whose id names one of them is counted as a send that was never recorded, not reported.
   */
  pidsLeftOut?: ReadonlySet<number>;
}

/**
 * Replays `journals` with `code`; stops at the first divergence. With `checks` off, only the
 * per-node comparison runs.
 */
export function replay(journals: readonly NodeJournal[], code: ReplayCode, options: ReplayOptions = {}): ReplayResult {
  // One key per node name; a name seen again (a master restarted on its port) is a new incarnation.
  const keys = new Map<string, number>();
  const incarnations = new Map<string, number>();
  const ordered = [...journals].sort((a, b) => startTime(a) - startTime(b) || a.pid - b.pid);
  const runs: Run[] = [];
  for (const j of ordered) {
    if (!keys.has(j.node)) keys.set(j.node, keys.size);
    const incarnation = (incarnations.get(j.node) ?? -1) + 1;
    incarnations.set(j.node, incarnation);
    runs.push(newRun(j, code, keys.get(j.node)!, incarnation));
  }
  const byName = new Map<string, SimNode>();
  const counts = { steps: 0 };
  const election = { isLeader: (n: SimNode) => n.alive && runs.some((r) => r.node === n && r.leading) } as unknown as Election;
  const checks = options.checks === false ? null : new Checks(election, { counts, byName, epochMs: 0 });
  /** Whether the checks still run (they stop at the first violation). */
  let checking = checks !== null;
  /** After a step's checks: whether the replay stops here (a violation, unless told to go on past it). */
  const stopsAfterChecks = (before: number): boolean => {
    if (checks === null || checks.violationCount === before) return false;
    checking = false;
    return options.pastViolation !== true;
  };
  const where: Array<{ file: string; nodeStep: number }> = [];
  const inFlight = new InFlight();
  const journaled = new Set(journals.map((j) => j.node));
  const result: ReplayResult = {
    nodes: journals.length,
    steps: 0,
    divergence: null,
    violations: [],
    weaknesses: [],
    unrecordedSends: 0,
    sendsInDeletedSegments: 0,
    unmatchedReceipts: [],
  };
  const started = new Set<Run>();
  /** The run of each process, by its address and pid (what a message id names). */
  const runByProcess = new Map(runs.map((r) => [`${r.journal.node}|${r.journal.pid}`, r]));
  const senderOf = (from: string, pid: number): Run | undefined => runByProcess.get(`${from}|${pid}`);
  /** The last step of `run` replayed so far (-1: not started; its first step - 1 after a later segment's snapshot). */
  const replayedThrough = (run: Run): number => {
    if (!started.has(run)) return -1;
    if (run.next > 0) return run.journal.records[run.next - 1]!.s;
    return stepRange(run.journal).first - (run.journal.header.segment === 0 ? 0 : 1);
  };

  /** Whether `run`'s next record may be replayed now: a message whose send is still to come waits. */
  const ready = (run: Run): boolean => {
    const r = run.journal.records[run.next]!;
    const input = r.i as Input;
    if (input.type !== "message" || !journaled.has(input.from)) return true;
    if (r.m !== undefined) {
      // By id: wait exactly while the sending step is in its journal and not replayed yet.
      const sender = senderOf(input.from, r.m[0]);
      if (sender === undefined || sender === run) return true;
      const { first, last } = stepRange(sender.journal);
      const step = r.m[1];
      return step < first || step > last || step <= replayedThrough(sender);
    }
    if (inFlight.has(input.from, run.journal.node, input.message)) return true;
    // The sender's journal is over (its send was lost with it): nothing to wait for.
    return !runs.some((s) => s !== run && s.journal.node === input.from && hasNext(s));
  };

  /**
   * The message a receipt takes: the sent object when its send was replayed (by id, or by content
   * for a journal without ids), else the recorded one, counting or reporting why there was no send.
   */
  const receive = (run: Run, record: NodeJournal["records"][number], input: Extract<Input, { type: "message" }>): Message => {
    const to = run.journal.node;
    if (record.m === undefined) {
      const sent = inFlight.take(input.from, to, input.message);
      if (sent !== undefined) return sent;
      if (journaled.has(input.from)) noteUnrecorded(run, input);
      return input.message;
    }
    const [pid, step, index] = record.m;
    const item = inFlight.byIdKey(idKey(input.from, pid, step, index));
    if (item !== undefined && item.to === to && item.text === stringify(input.message)) {
      inFlight.takeById(item);
      return item.message;
    }
    if (!journaled.has(input.from)) return input.message;
    const sender = senderOf(input.from, pid);
    const range = sender === undefined ? undefined : stepRange(sender.journal);
    if (sender === undefined && options.pidsLeftOut?.has(pid) === true) noteUnrecorded(run, input);
    else if (item === undefined && range !== undefined && step > range.last) noteUnrecorded(run, input);
    else if (item === undefined && range !== undefined && step < range.first) {
      result.sendsInDeletedSegments++;
      noteUnrecordedForChecks(run, input);
    } else {
      const why =
        sender === undefined
          ? `no journal of process ${pid} at ${input.from} (its journals: pid ${runs
              .filter((r) => r.journal.node === input.from)
              .map((r) => r.journal.pid)
              .join(", pid ")})`
          : whyNoSend(sender.journal, record.m, to, input.message);
      result.unmatchedReceipts.push({
        file: record.file,
        node: to,
        role: run.journal.role,
        step: record.s,
        from: input.from,
        type: input.message.type,
        id: record.m,
        why,
      });
      noteUnrecordedForChecks(run, input);
    }
    return input.message;
  };
  /** A receipt whose send the sender's journal lost with its last records (a killed process). */
  const noteUnrecorded = (run: Run, input: Extract<Input, { type: "message" }>): void => {
    result.unrecordedSends++;
    noteUnrecordedForChecks(run, input);
  };
  const noteUnrecordedForChecks = (run: Run, input: Extract<Input, { type: "message" }>): void => {
    const sender = byName.get(input.from);
    if (checks !== null && sender !== undefined)
      checks.noteUnrecordedSends(sender, [{ type: "send", to: run.journal.node as Address, message: input.message }]);
  };

  /** When a run's next event happens: its start (init, or its oldest segment's snapshot), then its records. */
  const nextTime = (run: Run): number => (started.has(run) ? run.journal.records[run.next]!.t : startTime(run.journal));
  const hasNext = (run: Run): boolean => !started.has(run) || run.next < run.journal.records.length;

  for (;;) {
    // The earliest ready event; when none is ready (a send that was never recorded), the earliest of all.
    let best: Run | undefined;
    let earliest: Run | undefined;
    for (const run of runs) {
      if (!hasNext(run)) continue;
      const t = nextTime(run);
      if (earliest === undefined || t < nextTime(earliest)) earliest = run;
      if ((best === undefined || t < nextTime(best)) && (!started.has(run) || ready(run))) best = run;
    }
    const run = best ?? earliest;
    if (run === undefined) break;
    if (!started.has(run)) {
      started.add(run);
      // A node that starts on a name replaces the one before (a restart): the older one is gone.
      const before = byName.get(run.journal.node);
      if (before !== undefined) before.alive = false;
      byName.set(run.journal.node, run.node);
      const d = start(run);
      if (d !== null) {
        result.divergence = d;
        break;
      }
      const initEffects = (run.journal.header.initEffects ?? []) as Effect[];
      initEffects.forEach((e, index) => {
        if (e.type === "send") inFlight.sent(run.journal.node, e.to, e.message, run.journal.pid, 0, index);
      });
      where.push({ file: run.journal.file, nodeStep: 0 });
      counts.steps++;
      options.onStep?.({
        journal: run.journal,
        nodeStep: 0,
        timeMs: startTime(run.journal),
        input: null,
        effects: initEffects,
        state: run.state,
      });
      if (checks !== null && checking && run.journal.header.segment === 0) {
        const before = checks.violationCount;
        checks.afterStep(
          { node: run.node, input: null, effects: initEffects, sender: null, targets: null, inputLink: null, links: null, inputStamp: 0 },
          startTime(run.journal),
        );
        if (stopsAfterChecks(before)) break;
      }
      if (run.journal.records.length === 0) run.node.alive = false;
      continue;
    }
    const record = run.journal.records[run.next++]!;
    let input = structuredClone(record.i) as Input;
    if (input.type === "message") input = { ...input, message: receive(run, record, input) };
    const effects: Effect[] = run.role.step(run.state, input, { now: record.t });
    counts.steps++;
    result.steps++;
    const index = firstDifference(record.e, effects);
    if (index >= 0) {
      result.divergence = {
        file: record.file,
        node: run.journal.node,
        role: run.journal.role,
        step: record.s,
        input: record.i,
        index,
        expected: record.e[index],
        got: effects[index],
      };
      break;
    }
    if (input.type === "leaderElected") run.leading = true;
    if (input.type === "leadershipRevoked") run.leading = false;
    effects.forEach((e, index) => {
      if (e.type === "send") inFlight.sent(run.journal.node, e.to, e.message, run.journal.pid, record.s, index);
    });
    where.push({ file: record.file, nodeStep: record.s });
    options.onStep?.({ journal: run.journal, nodeStep: record.s, timeMs: record.t, input, effects, state: run.state });
    if (checks !== null && checking) {
      const before = checks.violationCount;
      checks.afterStep(
        {
          node: run.node,
          input,
          effects,
          sender: input.type === "message" ? (byName.get(input.from) ?? null) : null,
          targets: null,
          inputLink: null,
          links: null,
          inputStamp: 0,
        },
        record.t,
      );
      if (stopsAfterChecks(before)) break;
    }
    // A node whose journal is over has stopped (it exited, or was killed after its last step).
    if (run.next >= run.journal.records.length) run.node.alive = false;
  }
  if (checks !== null && checking && result.divergence === null && checks.violationCount === 0) {
    const lastT = Math.max(0, ...runs.map((r) => r.journal.records.at(-1)?.t ?? 0));
    checks.scanAll([...byName.values()], lastT);
  }
  if (checks !== null) {
    result.violations = checks.violations.map((v) => ({ ...v, ...(where[v.step] ?? { file: "", nodeStep: -1 }) }));
    result.weaknesses = checks.weaknesses;
  }
  return result;
}

/** One line per problem, the way the simulator says them, with the journal file and step. */
export function describeDivergence(d: Divergence): string {
  const what = d.step === 0 ? "init" : `step ${d.step}`;
  const input = d.step === 0 ? "" : `\n  input:    ${stringify(d.input)}`;
  return `${d.role} ${d.node}: ${what} gives other effects than recorded (effect ${d.index}), in ${d.file}${input}\n  recorded: ${stringify(d.expected)}\n  replayed: ${stringify(d.got)}`;
}

/** A receipt whose id names no recorded send, in one line: who received what, and what the sender's journal holds. */
export function describeUnmatchedReceipt(u: UnmatchedReceipt): string {
  return `${u.role} ${u.node}: step ${u.step} received ${u.type} from ${u.from} with id ${u.id.join("/")} (pid/step/effect), in ${u.file}, but ${u.why}`;
}

export function describeViolation(v: Violation & { file: string; nodeStep: number }): string {
  const at = v.nodeStep >= 0 ? ` (its step ${v.nodeStep}, ${v.file})` : "";
  return `check ${v.check} failed at ${v.timeMs} ms on ${v.node}${at}: ${v.detail}`;
}
