/**
 * The world: a virtual clock, one event queue (queue.ts), and nodes hosting roles in OWNED mode
 * (the live state is updated in place). It obeys the host contract of src/protocol/io.ts: one input at a
 * time, effects applied in array order, `now` never decreasing, ties broken by sequence number.
 * It knows nothing about masters or workers: what a `launch` starts, what a task does and where
 * persisted records go are hooks supplied by the cluster (cluster.ts) or by a test.
 */
import type {
  Address,
  Ctx,
  Effect,
  Input,
  LaunchSpec,
  Message,
  PersistedRecord,
  ProcessRef,
  Role,
  TaskDescription,
  TaskOutcome,
} from "../protocol/index.js";
import { Fnv64, fnv32Word } from "./hash.js";
import { EventQueue } from "./queue.js";
import { Network, TCP_NETWORK, type LatencyModel, type Link, type NetworkModel } from "./network.js";
import { stream, type Stream } from "./rng.js";
import { hashEffect, hashInput, hashMessageInput, hashSendEffect, processName, type TraceRecord } from "./trace.js";

/** 2026-01-01T00:00:00Z: the epoch the virtual clock starts at, so ids look real. */
export const DEFAULT_EPOCH_MS = 1_767_225_600_000;

export type NodeKind = "master" | "worker" | "driver" | "executor" | "client";

// Roles are hosted generically: the world never looks inside a state or a config.
export type AnyRole = Role<any, any>;

/** What the world needs to start a node. */
export interface NodeSpec {
  name: string;
  kind: NodeKind;
  /** The machine it runs on; partitions cut between hosts. Defaults to the name. */
  host?: string;
  /** null: a sink that only receives (e.g. the submission client). */
  role: AnyRole | null;
  config: unknown;
  /** Cluster-level labels (logical app name, ...), never read by the world. */
  labels?: Record<string, string>;
}

export interface SimNode {
  /** Index in `world.nodes`; stable for the node's whole life, across restarts. */
  readonly key: number;
  readonly name: Address;
  /** `fnv32Word(name)`: the name's word in the trace hash, computed once. */
  readonly nameWord: number;
  readonly kind: NodeKind;
  host: string;
  role: AnyRole | null;
  config: unknown;
  state: unknown;
  labels: Record<string, string>;
  alive: boolean;
  /** Bumped on every crash, exit and restart: events aimed at an older incarnation are dropped. */
  incarnation: number;
  /** Messages sent by this incarnation or an earlier one are lost (their connection broke). */
  lastCrashedIncarnation: number;
  paused: boolean;
  /** Inputs that arrived while paused, delivered in order on resume (with what the checks know of a message's delivery). */
  stalled: StalledInput[];
  /**
   * Timers: key -> seq of the latest timer event set for it; only that event fires. A fired one
   * stays until replaced (one map write per timer cycle instead of two); a cancelled one is removed.
   */
  timers: Map<string, number>;
  /** Keys of nodes it has exchanged messages with (an open connection). */
  peers: Set<number>;
  /** The node that launched this process, and that node's incarnation at the time. */
  parent: SimNode | null;
  parentIncarnation: number;
  processRef: ProcessRef | null;
  /** Processes this node launched, by process name. */
  children: Map<string, SimNode>;
  /** Launches not yet started, by process name; `killed` when a kill came first. */
  pendingLaunches: Map<string, { killed: boolean }>;
  /** Running tasks: task id -> seq of the completion event that is current. */
  tasks: TaskTable;
  startedAtMs: number;
  exitCode: number | null;
  exitReason: string;
  /** The node's own random stream (launch delays, ...). */
  rng: Stream;
  /** The last address this node sent to that names a node, and that node: most nodes mostly send to one peer (an executor to its driver). */
  lastSendTo: string;
  lastSendNode: SimNode | undefined;
  /** The node this one last sent a message to, and their link (links are never dropped, so it stays valid). */
  lastLinkTo: SimNode | null;
  lastLink: Link | null;
  /** The node whose link to this one was looked up last, and that link: a driver sends to many executors, but each executor mostly hears from it. */
  lastLinkFrom: SimNode | null;
  lastInLink: Link | null;
  /** Set by the world's host for the current incarnation (e.g. the cluster's per-node data); null at each start. */
  hostData: unknown;
}

/** An input that reached a paused node: a message keeps its sender, link and send stamp for the step it gets on resume. */
export interface StalledInput {
  input: Input;
  sender: SimNode | null;
  link: Link | null;
  stamp: number;
  /** The step that caused it (see `TraceRecord.cause`). */
  cause: number;
}

/** TCP mode: the messages a link holds behind a partition, oldest first, with the pair they go between. */
interface Hold {
  from: SimNode;
  to: SimNode;
  /** When the first of them was held: the connection breaks CONNECTION_TIMEOUT_MS later. */
  sinceMs: number;
  /** The partition healed and the messages go out at the next flush (what arrives until then joins them). */
  releasing: boolean;
  /** In stamp order (the pair's send order), whether they were held at their send or on arrival. */
  messages: Array<{ input: Input; stamp: number; fromInc: number; toInc: number; cause: number }>;
}

/** Tasks a node tracks in two short arrays; beyond this many it switches to a Map. */
const SMALL_TASK_TABLE_MAX = 32;

/**
 * A node's running tasks: task id -> seq of its current completion event. A node runs a few tasks
 * at a time (its executor's cores), and task ids come and go once each: one short array of (id,
 * seq) pairs scanned by id costs less than a Map, whose table is rebuilt every few set/delete
 * pairs, and a task's completion reads one array (each object reached is a likely cache miss in a
 * big cluster). A node with more than SMALL_TASK_TABLE_MAX tasks at once (a huge executor, or a
 * role over-launching) uses a Map. No iteration: nothing depends on an order.
 */
export class TaskTable {
  /** `[id0, seq0, id1, seq1, ...]`, unordered. */
  private pairs: number[] = [];
  private map: Map<number, number> | null = null;

  get size(): number {
    return this.map !== null ? this.map.size : this.pairs.length >> 1;
  }

  /** The index in `pairs` of `taskId`, or -1 (a plain loop: `indexOf` costs a builtin call on a handful of entries). */
  private find(taskId: number): number {
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === taskId) return i;
    return -1;
  }

  get(taskId: number): number | undefined {
    if (this.map !== null) return this.map.get(taskId);
    const i = this.find(taskId);
    return i < 0 ? undefined : this.pairs[i + 1];
  }

  has(taskId: number): boolean {
    return this.map !== null ? this.map.has(taskId) : this.find(taskId) >= 0;
  }

  /** Removes the task if `seq` is its current completion event; returns whether it was. */
  takeIfCurrent(taskId: number, seq: number): boolean {
    if (this.map !== null) {
      if (this.map.get(taskId) !== seq) return false;
      this.map.delete(taskId);
      return true;
    }
    const i = this.find(taskId);
    if (i < 0 || this.pairs[i + 1] !== seq) return false;
    this.removeAt(i);
    return true;
  }

  set(taskId: number, seq: number): void {
    if (this.map !== null) {
      this.map.set(taskId, seq);
      return;
    }
    const pairs = this.pairs;
    const i = this.find(taskId);
    if (i >= 0) {
      pairs[i + 1] = seq;
    } else if (pairs.length < 2 * SMALL_TASK_TABLE_MAX) {
      pairs.push(taskId, seq);
    } else {
      this.map = new Map();
      for (let k = 0; k < pairs.length; k += 2) this.map.set(pairs[k]!, pairs[k + 1]!);
      this.map.set(taskId, seq);
      this.pairs = [];
    }
  }

  delete(taskId: number): void {
    if (this.map !== null) {
      this.map.delete(taskId);
      return;
    }
    const i = this.find(taskId);
    if (i >= 0) this.removeAt(i);
  }

  private removeAt(i: number): void {
    // The last pair takes its place (no order to keep).
    const pairs = this.pairs;
    const last = pairs.length - 2;
    pairs[i] = pairs[last]!;
    pairs[i + 1] = pairs[last + 1]!;
    pairs.pop();
    pairs.pop();
  }

  clear(): void {
    this.pairs = [];
    this.map = null;
  }
}

const EV_MESSAGE = 0;
const EV_TIMER = 1;
const EV_INPUT = 2;
const EV_TASK = 3;
const EV_CALL = 4;

/** Dispatched events kept for reuse; beyond this the rest are left to the garbage collector. */
const FREE_EVENTS_MAX = 1 << 16;

/**
 * One scheduled event. Events are recycled through a free list once dispatched (the run makes
 * millions of them, and most live long enough to be promoted by the garbage collector): nothing
 * may keep a reference to one after `dispatch`. Timers and tasks refer to theirs by `seq`.
 */
interface SimEvent {
  time: number;
  seq: number;
  kind: number;
  node: SimNode | null;
  inc: number;
  input: Input | null;
  key: string;
  from: SimNode | null;
  fromInc: number;
  /** A message's link (from -> node). */
  link: Link | null;
  /** A message's send stamp on its link (`Link.sent` after its send); 0 for other events. */
  stamp: number;
  /** The step whose effects scheduled it, -1 when none did (a fault, the workload): `TraceRecord.cause`. */
  cause: number;
  fn: (() => void) | null;
}

export interface TaskPlan {
  durationMs: number;
  outcome: TaskOutcome;
}

export interface WorldHooks {
  /** What a `launch` starts: a node spec, or an error string (reported as processLaunchFailed). */
  launcher?(spec: LaunchSpec, parent: SimNode): NodeSpec | string;
  /** How long a task runs and how it ends. Default: 1 s, success. Read at once: the hook may reuse one plan object (not its outcome). */
  taskPlan?(task: TaskDescription, node: SimNode): TaskPlan;
  persist?(node: SimNode, key: string, record: PersistedRecord): void;
  unpersist?(node: SimNode, key: string): void;
  /** After every step, with the effects (already applied): see `StepInfo` (the world's scratch). */
  afterStep?(step: StepInfo): void;
  /** A node stopped (crash, kill or exit). */
  nodeDown?(node: SimNode, code: number, reason: string, crashed: boolean): void;
  /** A node started (first start or restart). */
  nodeUp?(node: SimNode): void;
  /** A fresh config for a restart (e.g. a new worker id); default: the same config. */
  restartConfig?(node: SimNode): unknown;
}

/**
 * One step as the host saw it. `sender`: the node a message input came from (null when not known);
 * `targets[i]`: the node send effect i went to (undefined for an unknown address; entries of other
 * effects are stale); `inputLink`: the link a message input came over (null when not known);
 * `links[i]`: the link send effect i went out on (null when it was lost before the network: unknown
 * address, dead receiver). `inputStamp`: a message input's send stamp on `inputLink` (its place in
 * the pair's send order, see `Link.sent`), 0 when not known. The world passes the same object to
 * every call (no allocation per step): read it during the call only.
 */
export interface StepInfo {
  node: SimNode;
  input: Input | null;
  effects: readonly Effect[];
  sender: SimNode | null;
  targets: ReadonlyArray<SimNode | undefined> | null;
  inputLink: Link | null;
  links: ReadonlyArray<Link | null> | null;
  inputStamp: number;
}

export interface WorldOptions {
  seed: number | string;
  epochMs?: number;
  latency?: LatencyModel;
  /** The delivery model (default: TCP with Spark's 120 s connection timeout; network.ts). */
  network?: Partial<NetworkModel>;
  /** Delay between a `launch` and the process running, in ms: [min, max]. */
  launchDelayMs?: [number, number];
  /** Delay between a `kill` and the process exiting, in ms. */
  killDelayMs?: number;
  /** Stop with an error after this many events (a livelock guard). */
  maxEvents?: number;
  /** Receives every trace record (tracing to a file, --verbose, stories). */
  recordSink?: (record: TraceRecord) => void;
  hooks?: WorldHooks;
}

export interface WorldCounts {
  events: number;
  steps: number;
  messagesSent: number;
  messagesDelivered: number;
  messagesLost: number;
  /** TCP mode: messages a partition held (delivered at its heal or lost when their connection broke). */
  messagesHeld: number;
  /** TCP mode: connections broken by a partition's timeout or a fault's drop (both ends were told). */
  connectionsBroken: number;
  /** Delivered inputs by type ("message:<Type>" for messages). */
  inputs: Record<string, number>;
  /** Why messages were lost. */
  lost: Record<string, number>;
}

export const EXIT_CODE_KILLED = 143;
export const EXIT_CODE_CRASHED = 137;

export class World {
  readonly epochMs: number;
  /** Virtual ms since the run started. */
  now = 0;
  readonly nodes: SimNode[] = [];
  readonly byName = new Map<string, SimNode>();
  readonly network: Network;
  readonly counts: WorldCounts = {
    events: 0,
    steps: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    messagesLost: 0,
    messagesHeld: 0,
    connectionsBroken: 0,
    inputs: {},
    lost: {},
  };
  readonly hooks: WorldHooks;
  /** Set by a hook to end the run after the current event. */
  stopRequested = false;
  private seq = 0;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly freeEvents: SimEvent[] = [];
  /**
   * Scratch of one step: the receiver of each `send` effect, by effect index, looked up in
   * `record` and used by `applyEffects` right after it (no step runs in between).
   */
  private readonly sendTargets: Array<SimNode | undefined> = [];
  /** Scratch of one step: the link of each `send` effect, by effect index (null: lost before the network). */
  private readonly sendLinks: Array<Link | null> = [];
  /**
   * Causes (Dask's stimulus ids): a step's id is its number. `stepCause` is the step whose effects
   * are being applied (what they schedule carries it); `inputCause`, the cause of the input being
   * delivered (a message: the sender's step; a timer: the step that set it). -1: no step (a fault,
   * the workload, the network itself).
   */
  private stepCause = -1;
  private inputCause = -1;
  private readonly stepInfo: StepInfo = {
    node: null as unknown as SimNode,
    input: null,
    effects: [],
    sender: null,
    targets: null,
    inputLink: null,
    links: null,
    inputStamp: 0,
  };
  private readonly ctx: Ctx = { now: 0 };
  private readonly hash = new Fnv64();
  private readonly launchDelayMs: [number, number];
  private readonly killDelayMs: number;
  private readonly maxEvents: number;
  private readonly recordSink: ((record: TraceRecord) => void) | null;
  /** TCP mode: links holding messages behind a partition, in the order they started (a Map iterates in insertion order). */
  private readonly holds = new Map<Link, Hold>();
  /** How many links are `dead` (a receiver died behind a partition, unnoticed yet): 0 keeps the send path free of the check. */
  private deadLinks = 0;

  constructor(readonly options: WorldOptions) {
    this.epochMs = options.epochMs ?? DEFAULT_EPOCH_MS;
    this.network = new Network(stream(options.seed, "network"), options.latency ?? { minMs: 1, maxMs: 3 }, {
      ...TCP_NETWORK,
      ...options.network,
    });
    this.launchDelayMs = options.launchDelayMs ?? [50, 150];
    this.killDelayMs = options.killDelayMs ?? 20;
    this.maxEvents = options.maxEvents ?? Number.MAX_SAFE_INTEGER;
    this.recordSink = options.recordSink ?? null;
    this.hooks = options.hooks ?? {};
  }

  /** The trace hash so far (16 hex digits). */
  traceHash(): string {
    return this.hash.hex();
  }

  get pendingEvents(): number {
    return this.queue.size;
  }

  // ---- Nodes ------------------------------------------------------------------------------

  /** Creates a node and (unless told not to) starts it now: its `init` runs at once. */
  addNode(spec: NodeSpec, startNow = true): SimNode {
    if (this.byName.has(spec.name)) throw new Error(`node ${spec.name} exists already`);
    // The fields every event reads come first, so that they share a few cache lines (V8 lays an
    // object literal's fields out in this order); with thousands of nodes, most events touch a
    // node that is not in the cache.
    const node: SimNode = {
      alive: false,
      incarnation: 0,
      paused: false,
      role: spec.role,
      state: null,
      kind: spec.kind,
      key: this.nodes.length,
      nameWord: fnv32Word(spec.name),
      lastCrashedIncarnation: -1,
      host: spec.host ?? spec.name,
      hostData: null,
      name: spec.name as Address,
      lastSendTo: "",
      lastSendNode: undefined,
      lastLinkTo: null,
      lastLink: null,
      tasks: new TaskTable(),
      timers: new Map(),
      lastLinkFrom: null,
      lastInLink: null,
      config: spec.config,
      labels: spec.labels ?? {},
      stalled: [],
      peers: new Set(),
      parent: null,
      parentIncarnation: 0,
      processRef: null,
      children: new Map(),
      pendingLaunches: new Map(),
      startedAtMs: 0,
      exitCode: null,
      exitReason: "",
      rng: stream(this.options.seed, `node/${spec.name}`),
    };
    this.nodes.push(node);
    this.byName.set(spec.name, node);
    if (startNow) this.start(node);
    return node;
  }

  /** Restarts a dead node with a fresh state (and maybe a fresh config). False if it is alive. */
  restart(node: SimNode): boolean {
    if (node.alive) return false;
    if (this.hooks.restartConfig) node.config = this.hooks.restartConfig(node);
    this.start(node);
    return true;
  }

  private start(node: SimNode): void {
    node.alive = true;
    node.incarnation++;
    node.paused = false;
    node.exitCode = null;
    node.exitReason = "";
    node.startedAtMs = this.now;
    node.hostData = null;
    this.hooks.nodeUp?.(node);
    if (node.role === null) return;
    this.ctx.now = this.epochMs + this.now;
    const { state, effects } = node.role.init(node.config, this.ctx);
    node.state = state;
    const step = this.record(node, null, effects);
    const outer = this.stepCause;
    this.stepCause = step;
    this.applyEffects(node, effects);
    this.afterStepHook(node, null, effects, null, null, 0);
    this.stepCause = outer;
  }

  /** Crash: the state is lost, in-flight messages from it are lost, its processes die. */
  crash(node: SimNode, reason = "crashed", exitCode = EXIT_CODE_CRASHED): boolean {
    if (!node.alive) return false;
    this.terminate(node, exitCode, reason, true);
    return true;
  }

  pause(node: SimNode): boolean {
    if (!node.alive || node.paused) return false;
    node.paused = true;
    return true;
  }

  resume(node: SimNode): boolean {
    if (!node.alive || !node.paused) return false;
    node.paused = false;
    const stalled = node.stalled;
    node.stalled = [];
    // Delivered now, in order, before anything else due now: a message already queued for this
    // instant was sent after them (re-queued behind it, they would break FIFO per pair, I28).
    for (const x of stalled) {
      this.inputCause = x.cause;
      this.deliver(node, x.input, x.sender, x.link, x.stamp);
    }
    return true;
  }

  // ---- Scheduling -------------------------------------------------------------------------

  private push(
    time: number,
    kind: number,
    node: SimNode | null,
    input: Input | null,
    key: string,
    from: SimNode | null,
    fn: (() => void) | null,
    link: Link | null = null,
    stamp = 0,
  ): number {
    const seq = this.seq++;
    const inc = node === null ? 0 : node.incarnation;
    const fromInc = from === null ? 0 : from.incarnation;
    const ev = this.freeEvents.pop();
    if (ev === undefined) {
      this.queue.push({ time, seq, kind, node, inc, input, key, from, fromInc, link, stamp, cause: this.stepCause, fn });
      return seq;
    }
    ev.time = time;
    ev.seq = seq;
    ev.kind = kind;
    ev.node = node;
    ev.inc = inc;
    ev.input = input;
    ev.key = key;
    ev.from = from;
    ev.fromInc = fromInc;
    ev.link = link;
    ev.stamp = stamp;
    ev.cause = this.stepCause;
    ev.fn = fn;
    this.queue.push(ev);
    return seq;
  }

  /** A dispatched event goes back to the free list, holding nothing. */
  private release(ev: SimEvent): void {
    ev.node = null;
    ev.input = null;
    ev.from = null;
    ev.link = null;
    ev.fn = null;
    if (this.freeEvents.length < FREE_EVENTS_MAX) this.freeEvents.push(ev);
  }

  /** Runs `fn` at virtual time `atMs` (relative), after everything already due then. */
  at(atMs: number, fn: () => void): void {
    this.push(Math.max(atMs, this.now), EV_CALL, null, null, "", null, fn);
  }

  /** Delivers `input` to the node's current incarnation at `atMs` (default: now). */
  pushInput(node: SimNode, input: Input, atMs = this.now): void {
    this.push(Math.max(atMs, this.now), EV_INPUT, node, input, "", null, null);
  }

  /** Sends a message from outside any role (e.g. the submission client). */
  inject(from: SimNode, to: string, message: Message): void {
    this.send(from, this.byName.get(to), message);
  }

  /**
   * Runs events until virtual time `untilMs` (relative) is passed, the queue is empty, or a hook
   * asks to stop. Returns why it stopped.
   */
  run(untilMs: number): "time-limit" | "idle" | "stopped" {
    const queue = this.queue;
    for (;;) {
      const next = queue.popDue(untilMs);
      if (next === undefined) {
        if (queue.size === 0) return "idle";
        if (untilMs > this.now) this.now = untilMs; // `now` never decreases (host contract)
        return "time-limit";
      }
      this.now = next.time;
      this.inputCause = next.cause;
      this.dispatch(next);
      this.inputCause = -1;
      this.release(next);
      if (++this.counts.events > this.maxEvents) throw new Error(`more than ${this.maxEvents} events: livelock?`);
      if (this.stopRequested) return "stopped";
    }
  }

  private dispatch(ev: SimEvent): void {
    switch (ev.kind) {
      case EV_MESSAGE: {
        // The sender's object is read only when a partition or a new connection needs it: with
        // thousands of nodes it is rarely in the cache, and the link holds what a delivery needs.
        this.arrive(ev.node!, ev.inc, ev.from!, ev.fromInc, ev.link!, ev.stamp, ev.input!);
        return;
      }
      case EV_TIMER: {
        const node = ev.node!;
        if (node.incarnation !== ev.inc || node.timers.get(ev.key) !== ev.seq) return;
        this.deliver(node, { type: "timer", key: ev.key });
        return;
      }
      case EV_TASK: {
        const node = ev.node!;
        const input = ev.input as Extract<Input, { type: "taskFinished" }>;
        if (node.incarnation !== ev.inc || !node.tasks.takeIfCurrent(input.taskId, ev.seq)) return;
        this.deliver(node, input);
        return;
      }
      case EV_INPUT: {
        const node = ev.node!;
        if (node.incarnation !== ev.inc) return;
        // A message that waited out a pause still comes from its sender, over its link.
        this.deliver(node, ev.input!, ev.from, ev.link, ev.stamp);
        return;
      }
      case EV_CALL: {
        // A callback acts for the step that scheduled it: what it schedules has that step as cause.
        const outer = this.stepCause;
        this.stepCause = ev.cause;
        ev.fn!();
        this.stepCause = outer;
        return;
      }
    }
  }

  /** A message reaches its receiver's host: delivered, lost with its connection or its end, or (TCP) held behind a partition. */
  private arrive(to: SimNode, toInc: number, from: SimNode, fromInc: number, link: Link, stamp: number, input: Input): void {
    if (!to.alive || to.incarnation !== toInc) return this.lose("receiver-down");
    if (link.fromCrashedIncarnation >= fromInc) return this.lose("sender-crashed");
    if (stamp <= link.brokenUpToStamp) return this.lose("connection-broken");
    if (link.holding || (this.network.partitions.length > 0 && this.network.isCut(from.host, to.host))) {
      if (this.network.model.lossy) return this.lose("partition");
      return this.hold(link, from, to, input, stamp, fromInc, toInc);
    }
    if (this.deadLinks > 0) {
      // A node that came back reached a peer on a new connection: the peer's dead connection to
      // that address is replaced (a dial that a partition holds up does not count: it never opened).
      const back = this.network.link(to.key, from.key);
      if (back.dead) {
        back.dead = false;
        this.deadLinks--;
      }
    }
    if (!link.peered && from.alive) {
      from.peers.add(to.key);
      to.peers.add(from.key);
      link.peered = true;
    }
    this.counts.messagesDelivered++;
    this.deliver(to, input, from, link, stamp);
  }

  /**
   * TCP mode: a message waits on its link until the partition heals or the connection times out.
   * Messages join the hold in the pair's send order (one held on arrival may have been sent
   * before one held at its send), so that the flush delivers them as FIFO requires.
   */
  private hold(link: Link, from: SimNode, to: SimNode, input: Input, stamp: number, fromInc: number, toInc: number): void {
    let h = this.holds.get(link);
    if (h === undefined) {
      h = { from, to, sinceMs: this.now, releasing: false, messages: [] };
      this.holds.set(link, h);
      link.holding = true;
      this.armConnectionTimeout(link, h);
    }
    const messages = h.messages;
    let i = messages.length;
    while (i > 0 && messages[i - 1]!.stamp > stamp) i--;
    messages.splice(i, 0, { input, stamp, fromInc, toInc, cause: this.inputCause });
    this.counts.messagesHeld++;
  }

  /** The connection breaks if the hold is still waiting on a partition CONNECTION_TIMEOUT_MS after it started. */
  private armConnectionTimeout(link: Link, h: Hold): void {
    const sinceMs = h.sinceMs;
    this.at(sinceMs + this.network.model.connectionTimeoutMs, () => {
      if (this.holds.get(link) === h && !h.releasing && h.sinceMs === sinceMs) this.breakConnection(h.from, h.to, "connection-timeout");
    });
  }

  /**
   * Delivers what a healed link held, in send order, once every message still in flight on it from
   * before the partition has arrived (they join the hold): at the pair's latest delivery time.
   */
  private flushHold(link: Link, h: Hold): void {
    if (this.holds.get(link) !== h) return; // broken meanwhile
    if (this.network.partitions.length > 0 && this.network.isCut(h.from.host, h.to.host)) {
      h.releasing = false; // cut again: wait for the next heal, or time out
      h.sinceMs = this.now;
      this.armConnectionTimeout(link, h);
      return;
    }
    this.holds.delete(link);
    link.holding = false;
    for (const m of h.messages) {
      this.inputCause = m.cause;
      this.arrive(h.to, m.toInc, h.from, m.fromInc, link, m.stamp, m.input);
    }
  }

  /** Drops what a link holds (each message lost for `why`). */
  private dropHold(link: Link, why: string): void {
    const h = this.holds.get(link);
    if (h === undefined) return;
    for (let i = 0; i < h.messages.length; i++) this.lose(why);
    this.holds.delete(link);
    link.holding = false;
  }

  /**
   * TCP mode: the connection between two nodes breaks (a partition outlasted the timeout, or a send
   * failed): everything in flight either way is lost, and each live end gets `peerDisconnected`
   * from its own stack (nothing has to cross the network). The next message opens a new connection.
   */
  private breakConnection(a: SimNode, b: SimNode, why: string): void {
    const ab = this.network.link(a.key, b.key);
    const ba = this.network.link(b.key, a.key);
    // Nothing sent either way since the last break (e.g. a second send of the same step failed): the same broken connection.
    if (ab.sentAtBreak === ab.sent && ba.sentAtBreak === ba.sent && !ab.holding && !ba.holding) return;
    this.counts.connectionsBroken++;
    for (const link of [ab, ba]) {
      link.brokenUpToStamp = link.sent;
      link.sentAtBreak = link.sent;
      link.peered = false;
      this.dropHold(link, why);
    }
    a.peers.delete(b.key);
    b.peers.delete(a.key);
    if (a.alive) this.pushInput(a, { type: "peerDisconnected", peer: b.name });
    if (b.alive) this.pushInput(b, { type: "peerDisconnected", peer: a.name });
  }

  /**
   * Heals a partition (cluster faults call this rather than the network's `heal`): in TCP mode every
   * link it no longer cuts delivers what it held, in order, as soon as FIFO allows (TCP's retransmission).
   */
  healPartition(partitionId: number): boolean {
    if (!this.network.heal(partitionId)) return false;
    for (const [link, h] of this.holds) {
      if (h.releasing || this.network.isCut(h.from.host, h.to.host)) continue;
      h.releasing = true;
      const atMs = Math.max(this.now, link.lastDeliveryMs);
      link.lastDeliveryMs = atMs;
      this.at(atMs, () => this.flushHold(link, h));
    }
    return true;
  }

  private lose(why: string): void {
    this.counts.messagesLost++;
    this.counts.lost[why] = (this.counts.lost[why] ?? 0) + 1;
  }

  /** One input to one node: the only place `step` is called. `sender`, `link`, `stamp`: a message's, when known. */
  private deliver(node: SimNode, input: Input, sender: SimNode | null = null, link: Link | null = null, stamp = 0): void {
    if (!node.alive || node.role === null) return;
    if (node.paused) {
      node.stalled.push({ input, sender, link, stamp, cause: this.inputCause });
      return;
    }
    const inputs = this.counts.inputs;
    const countKey = input.type === "message" ? input.message.type : input.type;
    inputs[countKey] = (inputs[countKey] ?? 0) + 1;
    this.ctx.now = this.epochMs + this.now;
    const effects = node.role.step(node.state, input, this.ctx);
    const step = this.record(node, input, effects, link);
    const outer = this.stepCause;
    this.stepCause = step;
    this.applyEffects(node, effects);
    this.afterStepHook(node, input, effects, sender ?? null, link ?? null, stamp ?? 0);
    this.stepCause = outer;
  }

  private afterStepHook(
    node: SimNode,
    input: Input | null,
    effects: readonly Effect[],
    sender: SimNode | null,
    link: Link | null,
    stamp: number,
  ): void {
    if (this.hooks.afterStep === undefined) return;
    const info = this.stepInfo;
    info.node = node;
    info.input = input;
    info.effects = effects;
    info.sender = sender;
    info.targets = this.sendTargets;
    info.inputLink = link;
    info.links = this.sendLinks;
    info.inputStamp = stamp;
    this.hooks.afterStep(info);
  }

  /** `link`: the link a message input came over, when known (it holds the sender's name's hash word). */
  private record(node: SimNode, input: Input | null, effects: readonly Effect[], link: Link | null = null): number {
    const step = this.counts.steps++;
    const h = this.hash;
    h.num(this.now).word(node.nameWord);
    if (link !== null && input !== null && input.type === "message") hashMessageInput(h, input, link.fromWord);
    else hashInput(h, input);
    const targets = this.sendTargets;
    for (let i = 0; i < effects.length; i++) {
      const e = effects[i]!;
      if (e.type !== "send") {
        hashEffect(h, e);
        continue;
      }
      // The receiver is looked up once, for the hash (its name's cached word) and for the send;
      // a name never changes owner, so the sender's last found receiver can be reused.
      let to: SimNode | undefined;
      if (e.to === node.lastSendTo) to = node.lastSendNode;
      else {
        to = this.byName.get(e.to);
        if (to !== undefined) {
          node.lastSendTo = e.to;
          node.lastSendNode = to;
        }
      }
      targets[i] = to;
      this.sendLinks[i] = null; // set by `send` if the effect is applied
      hashSendEffect(h, e, to === undefined ? null : to.nameWord);
    }
    if (this.recordSink !== null) this.recordSink({ step, timeMs: this.now, node: node.name, cause: this.inputCause, input, effects });
    return step;
  }

  // ---- Effects ----------------------------------------------------------------------------

  private applyEffects(node: SimNode, effects: readonly Effect[]): void {
    for (let i = 0; i < effects.length; i++) {
      if (!node.alive) return; // after `exit` nothing else of this step happens
      const e = effects[i]!;
      switch (e.type) {
        case "send":
          this.sendLinks[i] = this.send(node, this.sendTargets[i], e.message);
          break;
        case "setTimer":
          node.timers.set(e.key, this.push(this.now + Math.max(0, Math.round(e.afterMs)), EV_TIMER, node, null, e.key, null, null));
          break;
        case "cancelTimer":
          node.timers.delete(e.key);
          break;
        case "launch":
          this.launch(node, e.spec);
          break;
        case "kill":
          this.kill(node, e.process);
          break;
        case "runTask":
          this.runTask(node, e.task);
          break;
        case "killTask":
          if (node.tasks.has(e.taskId)) {
            const input: Input = { type: "taskFinished", taskId: e.taskId, outcome: { kind: "killed", reason: e.reason } };
            node.tasks.set(e.taskId, this.push(this.now + 1, EV_TASK, node, input, "", null, null));
          }
          break;
        case "persist":
          this.hooks.persist?.(node, e.key, e.record);
          break;
        case "unpersist":
          this.hooks.unpersist?.(node, e.key);
          break;
        case "exit":
          this.terminate(node, e.code, e.reason, false);
          break;
        case "cleanupApp":
        case "log":
        case "notify":
          break; // recorded in the trace; hooks read them in afterStep
      }
    }
  }

  /** Sends a message; returns its link, or null when it was lost before the network. */
  private send(from: SimNode, to: SimNode | undefined, message: Message): Link | null {
    this.counts.messagesSent++;
    if (to === undefined) {
      this.lose("unknown-address");
      return null;
    }
    if (!to.alive) {
      this.lose("receiver-down");
      return null;
    }
    let link = from.lastLink;
    if (from.lastLinkTo !== to || link === null) {
      link = to.lastLinkFrom === from ? to.lastInLink : null;
      if (link === null) {
        link = this.network.link(from.key, to.key);
        link.fromWord = from.nameWord;
        to.lastLinkFrom = from;
        to.lastInLink = link;
      }
      from.lastLinkTo = to;
      from.lastLink = link;
    }
    const network = this.network;
    if (this.deadLinks > 0 && link.dead) {
      this.lose("connection-dead");
      return link;
    }
    if (!network.model.lossy && (link.holding || (network.partitions.length > 0 && network.isCut(from.host, to.host)))) {
      this.hold(link, from, to, { type: "message", from: from.name, message }, ++link.sent, from.incarnation, to.incarnation);
      return link;
    }
    const n = network.routeOn(link, from.host, to.host, message.type, this.now);
    if (n === 0) {
      this.lose(network.lostReason);
      // TCP: a dropped message is a failed send; the connection resets and both ends are told.
      if (network.lostToFault && !network.model.lossy) this.breakConnection(from, to, "connection-broken");
      return link;
    }
    const input: Input = { type: "message", from: from.name, message };
    // Stamped in the pair's send order (a lost message leaves a gap, which FIFO allows); a duplicate shares its original's stamp.
    const stamp = ++link.sent;
    for (let i = 0; i < n; i++) this.push(this.network.out[i]!, EV_MESSAGE, to, input, "", from, null, link, stamp);
    return link;
  }

  private launch(parent: SimNode, spec: LaunchSpec): void {
    const ref: ProcessRef =
      spec.kind === "executor" ? { kind: "executor", appId: spec.appId, execId: spec.execId } : { kind: "driver", driverId: spec.driverId };
    const name = processName(ref);
    const pending = { killed: false };
    parent.pendingLaunches.set(name, pending);
    const parentInc = parent.incarnation;
    const delayMs = parent.rng.int(this.launchDelayMs[0], this.launchDelayMs[1]);
    this.at(this.now + delayMs, () => {
      if (!parent.alive || parent.incarnation !== parentInc) return;
      if (parent.pendingLaunches.get(name) === pending) parent.pendingLaunches.delete(name);
      if (pending.killed) {
        this.pushInput(parent, { type: "processLaunched", process: ref });
        this.pushInput(parent, { type: "processExited", process: ref, exitCode: EXIT_CODE_KILLED });
        return;
      }
      const child = this.hooks.launcher ? this.hooks.launcher(spec, parent) : "no launcher";
      if (typeof child === "string") {
        this.pushInput(parent, { type: "processLaunchFailed", process: ref, error: child });
        return;
      }
      // The worker hears about the launch before the new process's first step can reach anyone.
      this.pushInput(parent, { type: "processLaunched", process: ref });
      const existing = this.byName.get(child.name);
      let node: SimNode;
      if (existing !== undefined) {
        if (existing.alive) this.terminate(existing, EXIT_CODE_CRASHED, "replaced by a new launch", true);
        existing.role = child.role;
        existing.config = child.config;
        existing.labels = child.labels ?? {};
        existing.host = child.host ?? parent.host;
        node = existing;
        this.bindChild(parent, node, ref, name);
        this.start(node);
      } else {
        node = this.addNode({ ...child, host: child.host ?? parent.host }, false);
        this.bindChild(parent, node, ref, name);
        this.start(node);
      }
    });
  }

  private bindChild(parent: SimNode, child: SimNode, ref: ProcessRef, name: string): void {
    child.parent = parent;
    child.parentIncarnation = parent.incarnation;
    child.processRef = ref;
    parent.children.set(name, child);
  }

  private kill(parent: SimNode, ref: ProcessRef): void {
    const name = processName(ref);
    const pending = parent.pendingLaunches.get(name);
    if (pending !== undefined) {
      pending.killed = true;
      return;
    }
    const child = parent.children.get(name);
    if (child === undefined || !child.alive) return; // already gone: its exit is (or was) reported
    const inc = child.incarnation;
    this.at(this.now + this.killDelayMs, () => {
      if (child.alive && child.incarnation === inc) this.terminate(child, EXIT_CODE_KILLED, "killed", false);
    });
  }

  private runTask(node: SimNode, task: TaskDescription): void {
    const plan = this.hooks.taskPlan
      ? this.hooks.taskPlan(task, node)
      : { durationMs: 1000, outcome: { kind: "success", value: null, sizeBytes: 0 } as TaskOutcome };
    const input: Input = { type: "taskFinished", taskId: task.taskId, outcome: plan.outcome };
    node.tasks.set(task.taskId, this.push(this.now + Math.max(1, Math.round(plan.durationMs)), EV_TASK, node, input, "", null, null));
  }

  /**
   * Ends a node: a crash (state and in-flight messages lost) or an exit/kill (what it sent is
   * still delivered). Its processes die with it; its connections break (peers are told unless a
   * partition hides it); its launcher hears `processExited`.
   */
  private terminate(node: SimNode, code: number, reason: string, crashed: boolean): void {
    if (!node.alive) return;
    node.alive = false;
    if (crashed) {
      node.lastCrashedIncarnation = node.incarnation;
      // Deliveries read it from the links (what the node sent before now is lost).
      for (const link of this.network.linksFrom(node.key)) link.fromCrashedIncarnation = node.incarnation;
    }
    node.incarnation++;
    node.paused = false;
    node.stalled = [];
    node.timers.clear();
    node.tasks.clear();
    node.pendingLaunches.clear();
    node.exitCode = code;
    node.exitReason = reason;
    for (const child of node.children.values()) {
      if (child.alive && child.parent === node) this.terminate(child, EXIT_CODE_CRASHED, `its launcher ${node.name} died`, true);
    }
    node.children.clear();
    const tcp = !this.network.model.lossy;
    if (tcp && this.holds.size > 0) {
      // What waited behind a partition to or from it dies with its connections.
      for (const [link, h] of [...this.holds])
        if (h.from === node || h.to === node) this.dropHold(link, h.to === node ? "receiver-down" : "sender-crashed");
    }
    for (const peerKey of node.peers) {
      const peer = this.nodes[peerKey]!;
      peer.peers.delete(node.key);
      // The connection is gone both ways: the next delivery on either direction opens it again.
      this.network.link(node.key, peerKey).peered = false;
      this.network.link(peerKey, node.key).peered = false;
      if (!peer.alive) continue;
      if (this.network.isCut(node.host, peer.host)) {
        // TCP: the peer's keepalive (or its next write) finds the connection dead after the timeout;
        // until then what it writes to that address goes on the dead connection. If the node comes
        // back and dials the peer again first, the peer holds a live connection to that address and
        // the stale one closing says nothing about it (the real transport reports a peer gone only
        // when no connection to it is left).
        if (tcp) {
          const back = this.network.link(peerKey, node.key);
          if (!back.dead) this.deadLinks++;
          back.dead = true;
          this.at(this.now + this.network.model.connectionTimeoutMs, () => {
            if (!back.dead) return;
            back.dead = false;
            this.deadLinks--;
            if (peer.alive) this.pushInput(peer, { type: "peerDisconnected", peer: node.name });
          });
        }
        continue;
      }
      // The broken connection is noticed after whatever was already sent on it arrives.
      const atMs = this.network.fifoAfter(node.key, peer.key, this.now + 1);
      this.pushInput(peer, { type: "peerDisconnected", peer: node.name }, atMs);
    }
    node.peers.clear();
    const parent = node.parent;
    if (parent !== null && node.processRef !== null && parent.alive && parent.incarnation === node.parentIncarnation) {
      this.pushInput(parent, { type: "processExited", process: node.processRef, exitCode: code }, this.now + 1);
    }
    node.parent = null;
    this.hooks.nodeDown?.(node, code, reason, crashed);
  }
}
