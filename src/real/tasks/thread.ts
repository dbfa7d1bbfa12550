/**
 * One task thread of an executor: imports the application module (once per URL), calls the
 * exported function with the task's input, and posts back the result as JSON (so that a value
 * that cannot travel is reported here, as Spark's NotSerializableException) or the thrown error
 * with its message and stack.
 */
import { parentPort } from "node:worker_threads";

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

const modules = new Map<string, Promise<Record<string, unknown>>>();

async function run(request: TaskRequest): Promise<TaskReply> {
  let mod = modules.get(request.moduleUrl);
  if (!mod) {
    mod = import(request.moduleUrl) as Promise<Record<string, unknown>>;
    modules.set(request.moduleUrl, mod);
  }
  let value: unknown;
  try {
    const exports = await mod;
    const fn = exports[request.fn];
    if (typeof fn !== "function") return { taskId: request.taskId, ok: false, message: `the application module exports no function '${request.fn}'` };
    value = await (fn as (input: unknown, ctx: unknown) => unknown)(request.input, request.context);
  } catch (err) {
    if (err instanceof Error) {
      const message = `${err.name}: ${err.message}`;
      // V8's stack repeats the message on its first line(s); the driver prints message then stack.
      const stack = err.stack?.startsWith(message) ? err.stack.slice(message.length).replace(/^\n/, "") : err.stack;
      return { taskId: request.taskId, ok: false, message, ...(stack !== undefined ? { stack } : {}) };
    }
    return { taskId: request.taskId, ok: false, message: `thrown: ${String(err)}` };
  }
  try {
    const json = JSON.stringify(value === undefined ? null : value) as string | undefined;
    if (typeof json !== "string") return { taskId: request.taskId, ok: false, message: `task result is not serializable: a ${typeof value}`, notSerializable: true };
    return { taskId: request.taskId, ok: true, json };
  } catch (err) {
    return { taskId: request.taskId, ok: false, message: `task result is not serializable: ${(err as Error).message}`, notSerializable: true };
  }
}

parentPort?.on("message", (request: TaskRequest) => {
  void run(request).then((reply) => parentPort!.postMessage(reply));
});
