/**
 * The generic real host: runs one role over the real transport, real timers and the wall clock,
 * obeying THE HOST CONTRACT of src/protocol/io.ts. It owns the role's state, turns messages,
 * disconnects, timer firings and external inputs into `Input`s, calls `step` with one input at a
 * time from a queue (never re-entrantly), and carries out the effects in array order. It has no
 * protocol logic of its own: what a process does beyond messages and timers (launching
 * processes, running tasks, persisting) is delegated to handler callbacks.
 */
import type { Address } from "../protocol/ids.js";
import type { MessageId } from "./framing.js";
import type { Effect, Input, Notification, Role } from "../protocol/io.js";
import type { JournalSink } from "./journal/writer.js";
import { safeStringify, type Logger } from "./log.js";
import type { Transport } from "./transport.js";

/** Exit code when `step` throws: EX_SOFTWARE, an internal error. */
export const EXIT_STEP_THREW = 70;
/** Exit code when an awaited effect (a durable persist) failed: EX_IOERR. */
export const EXIT_EFFECT_FAILED = 74;
/** Inputs handled in one go before the host yields to I/O. */
const INPUTS_PER_TURN = 1_000;

export type DelegatedEffect = Extract<
  Effect,
  { type: "launch" | "kill" | "runTask" | "killTask" | "persist" | "unpersist" | "cleanupApp" }
>;
/**
 * A handler either carries its effect out at once (returns nothing) or returns a promise: then the
 * host carries out no further effect and feeds no further input until it settles (a durable
 * `persist` must be on disk before the reply that acknowledges it is sent). A rejected promise means
 * the effect may not have happened: the node ends with EXIT_EFFECT_FAILED rather than go on.
 */
type HandlerFor<T extends DelegatedEffect["type"]> = (
  effect: Extract<DelegatedEffect, { type: T }>,
  host: HostHandle,
) => void | Promise<void>;

/** Carry out the effects that touch processes, tasks and storage; each reports back via `host.input`. */
export interface EffectHandlers {
  launch?: HandlerFor<"launch">;
  kill?: HandlerFor<"kill">;
  runTask?: HandlerFor<"runTask">;
  killTask?: HandlerFor<"killTask">;
  persist?: HandlerFor<"persist">;
  unpersist?: HandlerFor<"unpersist">;
  cleanupApp?: HandlerFor<"cleanupApp">;
}

export interface HostDeps {
  /** A transport with an address (listening, or given a node address); the host attaches to it and closes it on exit. */
  transport: Transport;
  logger: Logger;
  handlers?: EffectHandlers;
  onNotify?(notification: Notification): void;
  /** Called once when the node ends (an `exit` effect, a throwing `step`, or `stop`). */
  onExit?(code: number, reason: string): void;
  /** The wall clock, in ms (tests may replace it); the host makes it monotonic. */
  clock?: () => number;
  /** Log every input and effect at debug level. */
  trace?: boolean;
  /**
   * Asked before every step: a reason means the node may no longer act (a master whose leadership
   * lease ran out while the process was paused), and the host ends it at once instead of stepping.
   */
  mayAct?(): string | undefined;
  /** The flight recorder: every step's `now`, input and effects (src/real/journal; `flint replay` reads it). */
  journal?: JournalSink;
  /**
   * Called after every step with the state it left (`--validate`: the node's own invariants,
   * src/replay/validate.ts). It must not change the state; if it throws, the error is logged.
   */
  afterStep?: StepObserver;
}

/** What `afterStep` is told of one step (`step` 0 is init, with a null input). */
export type StepObserver = (step: number, input: Input | null, effects: readonly Effect[], now: number, state: unknown) => void;

/** What handlers and the process around the host may use. */
export interface HostHandle {
  readonly address: Address;
  /** Queues an external input (a command, a process exit, a task completion, ...). */
  input(input: Input): void;
}

export interface Host<S> extends HostHandle {
  /** The live state (read-only for callers: the host owns it). */
  readonly state: S;
  readonly running: boolean;
  /** Ends the node from outside (a signal, a test): timers cleared, transport closed. */
  stop(code?: number, reason?: string): Promise<void>;
  /** Settles when the node has ended, with its exit code and reason. */
  readonly exited: Promise<{ code: number; reason: string }>;
}

/**
 * `json`: a received message's payload as it came (the journal records it without serializing
 * again); `id`: the id its sender gave it (framing.ts), which the journal records too.
 */
type Queued = { kind: "input"; input: Input; json?: string; id?: MessageId } | { kind: "timer"; key: string; generation: number };

interface PendingTimer {
  handle: NodeJS.Timeout;
  generation: number;
}

/**
 * An input's JSON for the journal, made before the step runs (the reducer may keep the input in its
 * state and change it later); undefined for a received message whose payload the journal records as
 * it came (it was JSON already), unless it holds a line break, which would cut the journal's line.
 */
function journalInput(input: Input, messageJson: string | undefined): string | undefined {
  if (input.type !== "message" || messageJson === undefined || messageJson.includes("\n") || messageJson.includes("\r"))
    return JSON.stringify(input);
  return undefined;
}

export function startHost<S, C>(role: Role<S, C>, config: C, deps: HostDeps): Host<S> {
  const { transport, logger } = deps;
  const selfAddress = transport.address;
  if (selfAddress === undefined) throw new Error("startHost: the transport has no address (listen first)");
  const clock = deps.clock ?? Date.now;
  const journal = deps.journal;
  const queue: Queued[] = [];
  let queueHead = 0;
  const timers = new Map<string, PendingTimer>();
  let timerGeneration = 0;
  let lastNow = Number.NEGATIVE_INFINITY;
  let stepping = false;
  /** Set while an effect's promise is pending: no effect and no input is processed until it settles. */
  let blocked = false;
  let drainScheduled = false;
  let running = true;
  let stepCount = 0;
  let resolveExited!: (value: { code: number; reason: string }) => void;
  const exited = new Promise<{ code: number; reason: string }>((resolve) => (resolveExited = resolve));
  let closing: Promise<void> | undefined;

  const now = (): number => {
    lastNow = Math.max(lastNow, Math.floor(clock()));
    return lastNow;
  };

  const enqueue = (item: Queued): void => {
    if (!running) return;
    queue.push(item);
    drain();
  };

  const handle: HostHandle = {
    address: selfAddress,
    input: (input) => enqueue({ kind: "input", input }),
  };

  function drain(): void {
    if (stepping || blocked || !running) return;
    stepping = true;
    try {
      let handled = 0;
      while (running && !blocked && queueHead < queue.length) {
        if (handled++ >= INPUTS_PER_TURN) {
          scheduleDrain();
          break;
        }
        const item = queue[queueHead]!;
        queue[queueHead++] = undefined as unknown as Queued;
        const input = toInput(item);
        if (input) runStep(input, item.kind === "input" ? item.json : undefined, item.kind === "input" ? item.id : undefined);
      }
      if (queueHead === queue.length) {
        queue.length = 0;
        queueHead = 0;
      } else if (queueHead > 4096) {
        queue.splice(0, queueHead);
        queueHead = 0;
      }
    } finally {
      stepping = false;
    }
  }

  function scheduleDrain(): void {
    if (drainScheduled) return;
    drainScheduled = true;
    setImmediate(() => {
      drainScheduled = false;
      drain();
    });
  }

  /** A timer input is stale when its timer was replaced or cancelled after it went off. */
  function toInput(item: Queued): Input | undefined {
    if (item.kind === "input") return item.input;
    const pending = timers.get(item.key);
    if (!pending || pending.generation !== item.generation) {
      logger.log("debug", "timer-stale", { key: item.key });
      return undefined;
    }
    timers.delete(item.key);
    return { type: "timer", key: item.key };
  }

  function runStep(input: Input, messageJson: string | undefined, messageId: MessageId | undefined): void {
    const forbidden = deps.mayAct?.();
    if (forbidden !== undefined) {
      logger.log("error", "may-not-act", { reason: forbidden, input: input.type });
      end(1, forbidden);
      return;
    }
    const ctx = { now: now() };
    let effects: Effect[];
    stepCount++;
    // Serialized before the step: the reducer may keep the input in its state and change it later.
    const inputJson = journal === undefined ? undefined : journalInput(input, messageJson);
    try {
      effects = role.step(state, input, ctx);
    } catch (err) {
      logger.log("error", "step-threw", {
        role: role.name,
        step: stepCount,
        input: JSON.parse(safeStringify(input)) as unknown,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
      end(EXIT_STEP_THREW, `${role.name} step threw: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    let encoded: Array<string | undefined> | undefined;
    if (journal !== undefined) {
      encoded = new Array<string | undefined>(effects.length);
      journal.record(stepCount, ctx.now, input, inputJson, messageJson, effects, encoded, messageId);
    }
    if (deps.afterStep) observe(stepCount, input, effects, ctx.now);
    if (deps.trace) logger.log("debug", "step", { step: stepCount, now: ctx.now, input: input.type, effects: effects.length });
    apply(effects, stepCount, 0, encoded);
  }

  function observe(step: number, input: Input | null, effects: readonly Effect[], at: number): void {
    try {
      deps.afterStep!(step, input, effects, at, state);
    } catch (err) {
      logger.log("error", "handler-threw", { handler: "afterStep", step, error: (err as Error).stack ?? String(err) });
    }
  }

  /**
   * Carries out `effects` (those of step `step`, 0 for init) from index `from`; stops early, to
   * resume later, when one must be awaited.
   */
  function apply(effects: Effect[], step: number, from = 0, encoded?: Array<string | undefined>): void {
    for (let i = from; i < effects.length; i++) {
      if (!running) {
        logger.log("debug", "effects-after-exit", { skipped: effects.length - i });
        return;
      }
      const pending = applyOne(effects[i]!, step, i, encoded?.[i]);
      if (pending) {
        awaitEffect(pending, effects[i]!.type, effects, step, i + 1, encoded);
        return;
      }
    }
  }

  function awaitEffect(
    pending: Promise<void>,
    type: string,
    effects: Effect[],
    step: number,
    resumeAt: number,
    encoded: Array<string | undefined> | undefined,
  ): void {
    blocked = true;
    pending.then(
      () => {
        blocked = false;
        if (!running) return;
        stepping = true;
        try {
          apply(effects, step, resumeAt, encoded);
        } finally {
          stepping = false;
        }
        drain();
      },
      (err: unknown) => {
        blocked = false;
        const why = err instanceof Error ? err.message : String(err);
        logger.log("error", "effect-failed", { effect: type, error: why });
        end(EXIT_EFFECT_FAILED, `${role.name}: ${type} failed: ${why}`);
      },
    );
  }

  /**
   * Returns a promise when the effect must be awaited before the next one. `step` and `index` say
   * which effect it is (a send's id, framing.ts); `json`: a send's message, serialized already for the journal.
   */
  function applyOne(effect: Effect, step: number, index: number, json?: string): Promise<void> | undefined {
    if (deps.trace && effect.type !== "log") logger.log("debug", "effect", { type: effect.type });
    switch (effect.type) {
      case "send": {
        const id: MessageId = { pid: transport.pid, step, index };
        // A send to ourselves is a local delivery, processed after the current step (docs/protocol.md §5.2).
        if (effect.to === selfAddress)
          enqueue({ kind: "input", input: { type: "message", from: selfAddress, message: effect.message }, id });
        else if (json !== undefined) transport.sendJson(effect.to, effect.message.type, json, id);
        else transport.send(effect.to, effect.message, id);
        return;
      }
      case "setTimer":
        setRoleTimer(effect.key, effect.afterMs);
        return;
      case "cancelTimer": {
        const pending = timers.get(effect.key);
        if (pending) {
          clearTimeout(pending.handle);
          timers.delete(effect.key);
        }
        return;
      }
      case "log":
        // The step whose input caused it (its stimulus id; the debug "step" line names that input).
        // No other step runs while a step's effects are applied, so stepCount is still that step.
        logger.log(effect.level, effect.event, { ...effect.fields, step: stepCount });
        return;
      case "notify":
        if (!deps.onNotify) return;
        try {
          deps.onNotify(effect.notification);
        } catch (err) {
          logger.log("error", "handler-threw", { effect: "notify", error: (err as Error).stack ?? String(err) });
        }
        return;
      case "exit":
        logger.log(effect.code === 0 ? "info" : "error", "exit", { code: effect.code, reason: effect.reason });
        end(effect.code, effect.reason);
        return;
      case "launch":
      case "kill":
      case "runTask":
      case "killTask":
      case "persist":
      case "unpersist":
      case "cleanupApp":
        return delegate(effect);
      default: {
        const never: never = effect;
        logger.log("error", "effect-unknown", { effect: safeStringify(never) });
      }
    }
  }

  function delegate(effect: DelegatedEffect): Promise<void> | undefined {
    const handler = deps.handlers?.[effect.type] as ((e: DelegatedEffect, h: HostHandle) => void | Promise<void>) | undefined;
    if (!handler) {
      logger.log("error", "effect-unhandled", { effect: effect.type, why: `this host has no '${effect.type}' handler` });
      return undefined;
    }
    try {
      const result = handler(effect, handle);
      return result instanceof Promise ? result : undefined;
    } catch (err) {
      logger.log("error", "handler-threw", { effect: effect.type, error: (err as Error).stack ?? String(err) });
      return undefined;
    }
  }

  function setRoleTimer(key: string, afterMs: number): void {
    const previous = timers.get(key);
    if (previous) clearTimeout(previous.handle);
    const generation = ++timerGeneration;
    const delay = Math.max(0, Math.min(Number.isFinite(afterMs) ? afterMs : 0, 2_147_483_647));
    const pending: PendingTimer = {
      generation,
      handle: setTimeout(() => {
        enqueue({ kind: "timer", key, generation });
      }, delay),
    };
    timers.set(key, pending);
  }

  function end(code: number, reason: string): void {
    if (!running) return;
    running = false;
    for (const pending of timers.values()) clearTimeout(pending.handle);
    timers.clear();
    queue.length = 0;
    queueHead = 0;
    try {
      journal?.close();
    } catch (err) {
      logger.log("error", "journal-close-failed", { error: String(err) });
    }
    closing = transport.close().catch((err: unknown) => logger.log("error", "transport-close-failed", { error: String(err) }));
    void closing.then(() => {
      try {
        deps.onExit?.(code, reason);
      } catch (err) {
        logger.log("error", "handler-threw", { handler: "onExit", error: (err as Error).stack ?? String(err) });
      }
      resolveExited({ code, reason });
    });
  }

  // ---- Start -------------------------------------------------------------------------------

  const initNow = now();
  const initial = role.init(config, { now: initNow });
  const state: S = initial.state;
  journal?.init(config, initNow, initial.effects, () => state);
  if (deps.afterStep) observe(0, null, initial.effects, initNow);
  logger.log("info", "host-started", { role: role.name, address: selfAddress });
  // Inputs that arrive during start-up (the transport's early ones) wait until init's effects are done.
  stepping = true;
  try {
    transport.attach({
      onMessage: (from, message, json, id) => {
        const item: Queued = { kind: "input", input: { type: "message", from, message } };
        if (json !== undefined) item.json = json;
        if (id !== undefined) item.id = id;
        enqueue(item);
      },
      onDisconnected: (peer) => enqueue({ kind: "input", input: { type: "peerDisconnected", peer } }),
    });
    apply(initial.effects, 0);
  } finally {
    stepping = false;
  }
  drain();

  return {
    address: selfAddress,
    input: handle.input,
    get state() {
      return state;
    },
    get running() {
      return running;
    },
    async stop(code = 0, reason = "stopped") {
      if (running) {
        logger.log("info", "host-stopping", { code, reason });
        end(code, reason);
      }
      await exited;
    },
    exited,
  };
}
