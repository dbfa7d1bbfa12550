/**
 * Retrying a durable write that failed for a reason that passes (out of file descriptors, out of
 * space for a moment, a busy resource): a flood of connections can make a persist fail with EMFILE
 * even though the disk is fine. The write is retried with backoff for a bounded time; only then,
 * or at once for any other error, does the failure stand (and the master exits 74 as before).
 */

/** Error codes worth retrying: they describe the moment, not the data or the disk. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(["EMFILE", "ENFILE", "ENOSPC", "EAGAIN", "EBUSY", "EINTR"]);
export const DEFAULT_PERSIST_RETRY_MS = 10_000;
const FIRST_DELAY_MS = 50;
const MAX_DELAY_MS = 1_000;

export interface RetryOptions {
  /** Give up once this long has passed since the first attempt (default 10 s). */
  withinMs?: number;
  /** Called before each retry (for a log line). */
  onRetry?(error: NodeJS.ErrnoException, attempt: number, delayMs: number): void;
  /** Clock and sleep, replaceable in tests. */
  now?(): number;
  sleep?(ms: number): Promise<void>;
}

export function isTransient(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === "string" && TRANSIENT_CODES.has(code);
}

/** Runs `attempt` until it succeeds, fails with a non-transient error, or `withinMs` runs out. */
export async function retryTransient<T>(attempt: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const deadline = now() + (options.withinMs ?? DEFAULT_PERSIST_RETRY_MS);
  let delayMs = FIRST_DELAY_MS;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isTransient(error) || now() + delayMs > deadline) throw error;
      options.onRetry?.(error as NodeJS.ErrnoException, n, delayMs);
      await sleep(delayMs);
      delayMs = Math.min(MAX_DELAY_MS, delayMs * 2);
    }
  }
}
