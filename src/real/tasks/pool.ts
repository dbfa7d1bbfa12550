/**
 * The executor's task runner: a pool of worker threads, one per core. Each `runTask` effect is
 * answered by exactly one `taskFinished` (io.ts rule 5): the function's result, its thrown error,
 * or `killed` when `killTask` terminated its thread (a fresh thread takes the dead one's place).
 *
 * Tasks travel over a shared-memory channel per thread (channel.ts). When every core is busy and
 * the running tasks have been quick so far, the main thread sleeps for at most SYNC_WAIT_MS on the
 * doorbell before it returns to its event loop: a no-op task's result is then collected in the same
 * step that launched it (no event-loop wake-up), and its StatusUpdates RUNNING and FINISHED leave in
 * one write. The wait is bounded and only taken when there is nothing else to launch, so heartbeats
 * and KillTask are never held up by more than SYNC_WAIT_MS, however long a task runs.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import type { TaskId } from "../../protocol/ids.js";
import type { TaskOutcome } from "../../protocol/io.js";
import type { TaskDescription } from "../../protocol/messages.js";
import {
  CHANNEL_BYTES,
  REPLY_AREA,
  REPLY_BYTES,
  REQUEST_AREA,
  REQUEST_BYTES,
  REQUEST_SEQ,
  STATE,
  STATE_ASYNC,
  STATE_DONE,
  STATE_WAITING,
  readArea,
  writeArea,
  type ThreadChannel,
} from "./channel.js";
import type { TaskReply, TaskRequest } from "./thread.js";

const THREAD_ENTRY = new URL("./thread.js", import.meta.url);

/**
 * The longest the main thread sleeps waiting for quick tasks (ms). A no-op task takes tens of µs;
 * 1 ms is nothing next to a heartbeat interval, and a task that runs longer is marked slow and not
 * waited for again until one finishes quickly.
 */
export const SYNC_WAIT_MS = 1;

/** What a task's payload data holds (the driver API builds it). */
export interface TaskData {
  module: string;
  fn: string;
  input: unknown;
}

interface Slot {
  thread: Worker;
  port: MessagePort;
  words: Int32Array;
  bytes: Buffer;
  taskId: TaskId | undefined;
  /** performance.now() when the running task was handed over. */
  startedAt: number;
  /** The last task of this slot finished within SYNC_WAIT_MS: the next one is worth waiting for. */
  quick: boolean;
  /** The running task's reply, taken off the port before its ping: it counts only once the task is DONE. */
  portReply: TaskReply | undefined;
}

export interface TaskPoolOptions {
  threads: number;
  /** The file URL of a cached module, by content hash; undefined when not shipped. */
  moduleUrl(hash: string): string | undefined;
  onFinished(taskId: TaskId, outcome: TaskOutcome): void;
  /** Longest wait for quick tasks on the main thread (default SYNC_WAIT_MS; 0: never wait). */
  syncWaitMs?: number;
}

export class TaskPool {
  private readonly options: TaskPoolOptions;
  private readonly slots: Slot[] = [];
  private readonly queue: TaskRequest[] = [];
  private readonly doorbell = new SharedArrayBuffer(4);
  private readonly bell = new Int32Array(this.doorbell);
  private readonly syncWaitMs: number;
  private closed = false;

  constructor(options: TaskPoolOptions) {
    this.options = options;
    this.syncWaitMs = Math.max(0, options.syncWaitMs ?? SYNC_WAIT_MS);
    for (let i = 0; i < Math.max(1, options.threads); i++) this.slots.push(this.newSlot());
  }

  run(task: TaskDescription): void {
    const data = task.payload.data as Partial<TaskData> | null;
    if (typeof data !== "object" || data === null || typeof data.module !== "string" || typeof data.fn !== "string") {
      this.finish(task.taskId, { kind: "failure", message: "malformed task payload: expected { module, fn, input }" });
      return;
    }
    const moduleUrl = this.options.moduleUrl(data.module);
    if (moduleUrl === undefined) {
      this.finish(task.taskId, { kind: "failure", message: `module ${data.module} was not shipped to this executor` });
      return;
    }
    this.queue.push({
      taskId: task.taskId,
      moduleUrl,
      fn: data.fn,
      input: data.input ?? null,
      context: { taskId: task.taskId, index: task.index, attempt: task.attemptNumber },
    });
    this.dispatch(true);
    this.waitForQuickTasks();
  }

  kill(taskId: TaskId, reason: string): void {
    const queued = this.queue.findIndex((r) => r.taskId === taskId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.finish(taskId, { kind: "killed", reason });
      return;
    }
    const index = this.slots.findIndex((s) => s.taskId === taskId);
    if (index < 0) return;
    const slot = this.slots[index]!;
    slot.taskId = undefined;
    void slot.thread.terminate();
    slot.port.close();
    this.slots[index] = this.newSlot();
    this.finish(taskId, { kind: "killed", reason });
    this.dispatch();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    await Promise.all(
      this.slots.map(async (s) => {
        await s.thread.terminate();
        s.port.close();
      }),
    );
  }

  private newSlot(): Slot {
    const control = new SharedArrayBuffer(CHANNEL_BYTES);
    const { port1, port2 } = new MessageChannel();
    const channel: ThreadChannel = { control, doorbell: this.doorbell, port: port2 };
    const thread = new Worker(THREAD_ENTRY, { workerData: channel, transferList: [port2] });
    const slot: Slot = {
      thread,
      port: port1,
      words: new Int32Array(control, 0, 4),
      bytes: Buffer.from(control),
      taskId: undefined,
      startedAt: 0,
      quick: false,
      portReply: undefined,
    };
    // A number is a ping: the task is DONE, its reply in the reply area or queued on the port ahead
    // of the ping. An object is a whole reply; it is kept until its ping, because the thread posts it
    // before it marks the task DONE. Either may be stale: the reply was collected on the main thread
    // meanwhile.
    port1.on("message", (message: number | TaskReply) => {
      const taskId = typeof message === "number" ? message : message.taskId;
      if (slot.taskId !== taskId || this.slots.indexOf(slot) < 0) return;
      if (typeof message !== "number") {
        slot.portReply = message;
        return;
      }
      this.complete(slot, Atomics.load(slot.words, REPLY_BYTES) >= 0 ? this.replyFromArea(slot, taskId) : this.replyFromPort(slot, taskId));
      this.dispatch();
    });
    const onDeath = (why: string, stack?: string): void => {
      const index = this.slots.indexOf(slot);
      if (index < 0 || this.closed) return;
      const taskId = slot.taskId;
      slot.taskId = undefined;
      slot.port.close();
      this.slots[index] = this.newSlot();
      if (taskId !== undefined) this.finish(taskId, { kind: "failure", message: why, ...(stack !== undefined ? { stack } : {}) });
      this.dispatch();
    };
    thread.on("error", (err) => onDeath(`task thread crashed: ${err.message}`, err.stack));
    thread.on("exit", (code) => onDeath(`task thread exited with code ${code}`));
    return slot;
  }

  /** Hands queued tasks to idle threads; `waitFollows`: the caller goes on to waitForQuickTasks. */
  private dispatch(waitFollows = false): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.taskId !== undefined) continue;
      this.handOver(slot, this.queue.shift()!, waitFollows && this.waitWorthyWith(slot));
    }
  }

  /** Whether, once `slot` is busy too, every core runs a task expected to be quick. */
  private waitWorthyWith(slot: Slot): boolean {
    if (this.syncWaitMs === 0 || !slot.quick) return false;
    for (const other of this.slots) if (other !== slot && (other.taskId === undefined || !other.quick)) return false;
    return true;
  }

  /**
   * `waiting`: the main thread will wait for this reply, so the task starts WAITING. Were it ASYNC
   * and armed only afterwards, a thread that ran the task before that (it may well, on the same CPU)
   * would post a ping that wakes the event loop for a reply already collected.
   */
  private handOver(slot: Slot, request: TaskRequest, waiting: boolean): void {
    slot.taskId = request.taskId;
    slot.startedAt = performance.now();
    const length = writeArea(slot.bytes, REQUEST_AREA, JSON.stringify(request));
    // Posted before the counter moves, so the thread finds it when it wakes.
    if (length < 0) slot.port.postMessage(request);
    Atomics.store(slot.words, REQUEST_BYTES, length);
    Atomics.store(slot.words, STATE, waiting ? STATE_WAITING : STATE_ASYNC);
    Atomics.add(slot.words, REQUEST_SEQ, 1);
    Atomics.notify(slot.words, REQUEST_SEQ);
  }

  /**
   * When every core is busy with a task expected to be quick, sleeps on the doorbell (at most
   * syncWaitMs) and collects the replies that are ready; the others are left to their ports. Runs
   * after every dispatch(true), waiting or not, so that no slot is left WAITING (its reply would
   * ring a doorbell nobody listens to).
   */
  private waitForQuickTasks(): void {
    if (this.closed) return;
    // Read before looking at the slots: a reply that lands after the look moves it, and the wait returns at once.
    const rung = Atomics.load(this.bell, 0);
    let wait = this.syncWaitMs > 0;
    for (const slot of this.slots) if (slot.taskId === undefined || !slot.quick) wait = false;
    if (wait) {
      for (const slot of this.slots) {
        // A slot already DONE (its reply is in) is collected below without sleeping.
        if (Atomics.compareExchange(slot.words, STATE, STATE_ASYNC, STATE_WAITING) === STATE_DONE) wait = false;
      }
    }
    const waited = wait && Atomics.wait(this.bell, 0, rung, this.syncWaitMs) === "timed-out";
    for (const slot of this.slots) {
      const taskId = slot.taskId;
      if (taskId === undefined) continue;
      const state = Atomics.compareExchange(slot.words, STATE, STATE_WAITING, STATE_ASYNC);
      if (state === STATE_DONE)
        this.complete(
          slot,
          Atomics.load(slot.words, REPLY_BYTES) >= 0 ? this.replyFromArea(slot, taskId) : this.replyFromPort(slot, taskId),
        );
      // Still running after a full wait: it posts on its port when done, and is not waited for next time.
      else if (waited) slot.quick = false;
    }
    this.dispatch();
  }

  private replyFromArea(slot: Slot, taskId: TaskId): TaskReply {
    return { taskId, ok: true, json: readArea(slot.bytes, REPLY_AREA, Atomics.load(slot.words, REPLY_BYTES)) };
  }

  /**
   * The reply the thread queued on the port before DONE: already taken off the port by the message
   * listener, or still queued (stale pings and replies ahead of it are dropped).
   */
  private replyFromPort(slot: Slot, taskId: TaskId): TaskReply {
    if (slot.portReply?.taskId === taskId) return slot.portReply;
    for (;;) {
      const received = receiveMessageOnPort(slot.port);
      if (received === undefined) return { taskId, ok: false, message: "task thread: the reply was announced but is missing" };
      const message = received.message as number | TaskReply;
      if (typeof message === "object" && message.taskId === taskId) return message;
    }
  }

  private complete(slot: Slot, reply: TaskReply): void {
    slot.taskId = undefined;
    slot.portReply = undefined;
    slot.quick = performance.now() - slot.startedAt < this.syncWaitMs;
    if (reply.ok) {
      this.finish(reply.taskId, { kind: "success", value: JSON.parse(reply.json) as unknown, sizeBytes: Buffer.byteLength(reply.json) });
    } else {
      this.finish(reply.taskId, {
        kind: "failure",
        message: reply.message,
        ...(reply.stack !== undefined ? { stack: reply.stack } : {}),
        ...(reply.notSerializable ? { notSerializable: true } : {}),
      });
    }
  }

  private finish(taskId: TaskId, outcome: TaskOutcome): void {
    if (this.closed) return;
    this.options.onFinished(taskId, outcome);
  }
}
