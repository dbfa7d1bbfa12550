/**
 * The shared-memory channel between an executor's main thread and one task thread (pool.ts and
 * thread.ts). A no-op task is a few microseconds of work; handing it over with `postMessage` costs
 * far more: a libuv wake-up of the thread's event loop, an event dispatch, and the same again on
 * the way back. Here the idle thread sleeps in `Atomics.wait` on a request counter and small
 * requests and results travel as UTF-8 JSON in a SharedArrayBuffer, so a hand-over is one futex
 * wake each way. Anything too large for an area (and every failure reply) goes on a MessagePort,
 * read synchronously with `receiveMessageOnPort` where it must not wait for an event-loop turn.
 *
 * Reply hand-shake (the `STATE` word): the pool stores ASYNC when it hands a task over. When every
 * core is busy with a task that is expected to be quick, the main thread may switch the busy slots
 * to WAITING and sleep on the shared doorbell for a bounded time (pool.ts). The thread, once its
 * reply is written, swaps in DONE: if it replaced WAITING it rings the doorbell (the main thread
 * collects the reply itself), if it replaced ASYNC it posts a ping with the task id on the port,
 * which wakes the main thread's event loop as before. A reply too large for the area (and every
 * failure) is queued on the port before the swap, so whoever sees DONE finds it; but the main thread
 * treats a task as finished only once it is DONE (by the swap or the ping after it), never on the
 * queued reply alone: it would otherwise hand over the next task before the swap, and the late swap
 * would mark that next task DONE. Every swap is atomic, so a reply is collected exactly once
 * whichever side moves first.
 */
import type { MessagePort } from "node:worker_threads";

/** Int32 index: bumped by the pool for every request; the idle thread sleeps on it. */
export const REQUEST_SEQ = 0;
/** Int32 index: byte length of the request's JSON in the request area, or -1: it is on the port. */
export const REQUEST_BYTES = 1;
/** Int32 index: the reply hand-shake, one of STATE_*. */
export const STATE = 2;
/** Int32 index: byte length of a success's result JSON in the reply area, or -1: the reply is on the port. */
export const REPLY_BYTES = 3;

/** The task was handed over; its thread posts on the port when done. */
export const STATE_ASYNC = 0;
/** The main thread is (or is about to be) waiting on the doorbell for this reply. */
export const STATE_WAITING = 1;
/** The reply is ready (in the reply area, or on the port when REPLY_BYTES is -1). */
export const STATE_DONE = 2;

const CONTROL_BYTES = 16;
/** Bytes of each area: a request or result larger than this goes on the port instead. */
export const AREA_BYTES = 64 * 1024;
export const REQUEST_AREA = CONTROL_BYTES;
export const REPLY_AREA = CONTROL_BYTES + AREA_BYTES;
export const CHANNEL_BYTES = CONTROL_BYTES + 2 * AREA_BYTES;

/** What a task thread gets as its workerData. */
export interface ThreadChannel {
  /** CHANNEL_BYTES: the control words, then the request area, then the reply area. */
  control: SharedArrayBuffer;
  /** One Int32, shared by every thread of the pool: bumped (and notified) when a WAITING reply is ready. */
  doorbell: SharedArrayBuffer;
  port: MessagePort;
}

/**
 * Writes `text` as UTF-8 at `offset` when it fits in AREA_BYTES; returns its byte length, or -1
 * (nothing written) when it does not fit.
 */
export function writeArea(bytes: Buffer, offset: number, text: string): number {
  // Up to 3 UTF-8 bytes per UTF-16 unit: short strings surely fit, and need no counting pass.
  if (text.length * 3 > AREA_BYTES && Buffer.byteLength(text, "utf8") > AREA_BYTES) return -1;
  return bytes.write(text, offset, AREA_BYTES, "utf8");
}

export function readArea(bytes: Buffer, offset: number, length: number): string {
  return bytes.toString("utf8", offset, offset + length);
}
