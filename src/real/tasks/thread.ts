/**
 * One task thread of an executor: imports the application module (once per URL), calls the
 * exported function with the task's input, and hands back the result as JSON (so that a value
 * that cannot travel is reported here, as Spark's NotSerializableException) or the thrown error
 * with its message and stack.
 *
 * Between tasks the thread sleeps in `Atomics.wait` on its channel (channel.ts) rather than in its
 * event loop, and a task that returns a plain value is answered without an event-loop turn. A task
 * that returns a promise (and the first task, which imports the module) runs on the event loop as
 * usual; the thread goes back to sleep once it settles. While idle, the thread still lets its event
 * loop run every IDLE_TURN_MS, so timers a task left behind fire.
 */
import { receiveMessageOnPort, workerData } from "node:worker_threads";
import {
  REPLY_AREA,
  REPLY_BYTES,
  REQUEST_AREA,
  REQUEST_BYTES,
  REQUEST_SEQ,
  STATE,
  STATE_DONE,
  STATE_WAITING,
  readArea,
  writeArea,
  type ThreadChannel,
} from "./channel.js";
import { notSerializable } from "./serializable.js";

export interface TaskRequest {
  taskId: number;
  moduleUrl: string;
  fn: string;
  input: unknown;
  context: { taskId: number; index: number; attempt: number };
}

export type TaskReply =
  | { taskId: number; ok: true; json: string }
  | { taskId: number; ok: false; message: string; stack?: string; notSerializable?: boolean };

/** How long an idle thread sleeps before it gives its event loop a turn. */
const IDLE_TURN_MS = 50;

const modules = new Map<string, Promise<Record<string, unknown>>>();
/** Modules whose import has settled successfully: tasks of these run without a microtask turn. */
const loaded = new Map<string, Record<string, unknown>>();

function run(request: TaskRequest): TaskReply | Promise<TaskReply> {
  const exports = loaded.get(request.moduleUrl);
  if (exports !== undefined) return call(request, exports);
  let mod = modules.get(request.moduleUrl);
  if (!mod) {
    const url = request.moduleUrl;
    mod = import(url) as Promise<Record<string, unknown>>;
    modules.set(url, mod);
    mod.then(
      (e) => void loaded.set(url, e),
      () => {},
    );
  }
  return mod.then(
    (e) => call(request, e),
    (err: unknown) => failure(request.taskId, err),
  );
}

function call(request: TaskRequest, exports: Record<string, unknown>): TaskReply | Promise<TaskReply> {
  let value: unknown;
  try {
    // Inside the try: reading an export can throw too (one not yet initialized in an import cycle).
    const fn = exports[request.fn];
    if (typeof fn !== "function")
      return { taskId: request.taskId, ok: false, message: `the application module exports no function '${request.fn}'` };
    value = (fn as (input: unknown, ctx: unknown) => unknown)(request.input, request.context);
  } catch (err) {
    return failure(request.taskId, err);
  }
  if (isThenable(value))
    return Promise.resolve(value).then(
      (v) => serialize(request.taskId, v),
      (err: unknown) => failure(request.taskId, err),
    );
  return serialize(request.taskId, value);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function"
  );
}

/** Stack frames of this file: how flint called the task, noise in the user's stack trace. */
const OWN_FRAME = ` (${import.meta.url}:`;
const OWN_BARE_FRAME = `at ${import.meta.url}:`;

function failure(taskId: number, err: unknown): TaskReply {
  if (err instanceof Error) {
    const message = `${err.name}: ${err.message}`;
    // V8's stack repeats the message on its first line(s); the driver prints message then stack.
    const full = err.stack?.startsWith(message) ? err.stack.slice(message.length).replace(/^\n/, "") : err.stack;
    const stack = full
      ?.split("\n")
      .filter((line) => !line.includes(OWN_FRAME) && !line.trimStart().startsWith(OWN_BARE_FRAME))
      .join("\n");
    return { taskId, ok: false, message, ...(stack !== undefined ? { stack } : {}) };
  }
  return { taskId, ok: false, message: `thrown: ${String(err)}` };
}

/**
 * The result as JSON, or a failure naming the part of it that JSON would change (serializable.ts).
 * A task that returns nothing (undefined) gives null.
 */
function serialize(taskId: number, value: unknown): TaskReply {
  const bad = value === undefined ? undefined : notSerializable(value, "result");
  if (bad !== undefined) return { taskId, ok: false, message: `task result is not serializable: ${bad}`, notSerializable: true };
  try {
    const json = JSON.stringify(value === undefined ? null : value) as string | undefined;
    if (typeof json !== "string")
      return { taskId, ok: false, message: `task result is not serializable: a ${typeof value}`, notSerializable: true };
    return { taskId, ok: true, json };
  } catch (err) {
    return { taskId, ok: false, message: `task result is not serializable: ${(err as Error).message}`, notSerializable: true };
  }
}

function serve(channel: ThreadChannel): void {
  const words = new Int32Array(channel.control, 0, 4);
  const bytes = Buffer.from(channel.control);
  const bell = new Int32Array(channel.doorbell, 0, 1);
  const { port } = channel;
  let seen = 0;

  const next = (): TaskRequest => {
    const length = Atomics.load(words, REQUEST_BYTES);
    if (length >= 0) return JSON.parse(readArea(bytes, REQUEST_AREA, length)) as TaskRequest;
    // Posted before the counter was bumped, so it is already queued.
    const received = receiveMessageOnPort(port);
    if (received === undefined) throw new Error("task thread: a request was announced on the port but none is there");
    return received.message as TaskRequest;
  };

  const reply = (result: TaskReply): void => {
    const length = result.ok ? writeArea(bytes, REPLY_AREA, result.json) : -1;
    Atomics.store(words, REPLY_BYTES, length);
    // A reply that is not in the area is queued on the port before DONE, so whoever sees DONE finds it there.
    if (length < 0) port.postMessage(result);
    if (Atomics.exchange(words, STATE, STATE_DONE) === STATE_WAITING) {
      Atomics.add(bell, 0, 1);
      Atomics.notify(bell, 0);
    } else {
      // The ping, even when the reply itself is on the port: the main thread completes a task only
      // once it is DONE. Had it completed on the reply alone, it could hand over the next task
      // before the swap above, which would then mark that next task DONE (issue 13, item 4).
      port.postMessage(result.taskId);
    }
  };

  const loop = (): void => {
    for (;;) {
      if (Atomics.wait(words, REQUEST_SEQ, seen, IDLE_TURN_MS) === "timed-out") {
        setImmediate(loop);
        return;
      }
      seen = Atomics.load(words, REQUEST_SEQ);
      const outcome = run(next());
      if (outcome instanceof Promise) {
        void outcome.then((result) => {
          reply(result);
          loop();
        });
        return;
      }
      reply(outcome);
    }
  };
  loop();
}

const channel = workerData as ThreadChannel | undefined;
if (channel?.control instanceof SharedArrayBuffer) {
  // Keeps the thread alive while a task awaits something that holds no handle of its own.
  setInterval(() => {}, 1 << 30);
  serve(channel);
}
