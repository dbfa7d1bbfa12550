/**
 * A transport whose close() first lets the outboxes drain (bounded), so that the last messages a
 * role sends just before its `exit` effect (StopExecutor, UnregisterApplication, RemoveExecutor,
 * a final StatusUpdate) leave the process instead of dying with its sockets.
 */
import { Transport } from "../transport.js";

const DRAIN_POLL_MS = 5;
export const DEFAULT_DRAIN_MS = 1_000;

export class FlushingTransport extends Transport {
  drainMs = DEFAULT_DRAIN_MS;

  override async close(): Promise<void> {
    const deadline = Date.now() + this.drainMs;
    // The first flush runs on setImmediate after the last send.
    await new Promise((resolve) => setImmediate(resolve));
    while (Date.now() < deadline && hasQueued(this)) await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    return super.close();
  }
}

function hasQueued(transport: Transport): boolean {
  for (const outbox of Object.values(transport.stats().outboxes)) if (outbox.queued > 0 && outbox.bound) return true;
  return false;
}
