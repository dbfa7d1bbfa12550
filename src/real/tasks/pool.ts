/**
 * The executor's task runner: a pool of worker threads, one per core. Each `runTask` effect is
 * answered by exactly one `taskFinished` (io.ts rule 5): the function's result, its thrown error,
 * or `killed` when `killTask` terminated its thread (a fresh thread takes the dead one's place).
 */
import { Worker } from "node:worker_threads";
import type { TaskId } from "../../protocol/ids.js";
import type { TaskOutcome } from "../../protocol/io.js";
import type { TaskDescription } from "../../protocol/messages.js";
import type { TaskReply, TaskRequest } from "./thread.js";

const THREAD_ENTRY = new URL("./thread.js", import.meta.url);

/** What a task's payload data holds (the driver API builds it). */
export interface TaskData {
  module: string;
  fn: string;
  input: unknown;
}

interface Slot {
  thread: Worker;
  taskId: TaskId | undefined;
}

export interface TaskPoolOptions {
  threads: number;
  /** The file URL of a cached module, by content hash; undefined when not shipped. */
  moduleUrl(hash: string): string | undefined;
  onFinished(taskId: TaskId, outcome: TaskOutcome): void;
}

export class TaskPool {
  private readonly options: TaskPoolOptions;
  private readonly slots: Slot[] = [];
  private readonly queue: TaskRequest[] = [];
  private closed = false;

  constructor(options: TaskPoolOptions) {
    this.options = options;
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
    this.queue.push({ taskId: task.taskId, moduleUrl, fn: data.fn, input: data.input ?? null, context: { taskId: task.taskId, index: task.index, attempt: task.attemptNumber } });
    this.dispatch();
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
    this.slots[index] = this.newSlot();
    this.finish(taskId, { kind: "killed", reason });
    this.dispatch();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    await Promise.all(this.slots.map((s) => s.thread.terminate()));
  }

  private newSlot(): Slot {
    const thread = new Worker(THREAD_ENTRY);
    const slot: Slot = { thread, taskId: undefined };
    thread.on("message", (reply: TaskReply) => {
      if (slot.taskId !== reply.taskId) return;
      slot.taskId = undefined;
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
      this.dispatch();
    });
    const onDeath = (why: string, stack?: string): void => {
      const index = this.slots.indexOf(slot);
      if (index < 0 || this.closed) return;
      const taskId = slot.taskId;
      slot.taskId = undefined;
      this.slots[index] = this.newSlot();
      if (taskId !== undefined) this.finish(taskId, { kind: "failure", message: why, ...(stack !== undefined ? { stack } : {}) });
      this.dispatch();
    };
    thread.on("error", (err) => onDeath(`task thread crashed: ${err.message}`, err.stack));
    thread.on("exit", (code) => onDeath(`task thread exited with code ${code}`));
    return slot;
  }

  private dispatch(): void {
    if (this.closed) return;
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.taskId !== undefined) continue;
      const request = this.queue.shift()!;
      slot.taskId = request.taskId;
      slot.thread.postMessage(request);
    }
  }

  private finish(taskId: TaskId, outcome: TaskOutcome): void {
    if (this.closed) return;
    this.options.onFinished(taskId, outcome);
  }
}
