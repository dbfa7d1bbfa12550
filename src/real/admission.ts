/**
 * Admission of inbound connections that have not authenticated yet, for every listener (the
 * transport's port, the master's status port). A flood of idle or half-open connections must not
 * exhaust the process's file descriptors nor lock out peers that hold the secret:
 *
 * - at most `maxPending` unauthenticated connections at once, and at most `maxPendingPerIp` from
 *   one source address;
 * - when a new connection would exceed either, the OLDEST pending connection of the heaviest
 *   source is cut instead of refusing the newcomer: an honest peer completes its handshake in
 *   about a millisecond, so it gets through even while a flood keeps every slot busy (a flooder
 *   only ever evicts its own connections, or those of whoever holds the most);
 * - authenticated connections do not count here (the caller bounds the total separately).
 *
 * Refusals are counted, not logged one by one: `RefusalLog` writes one line per interval with the
 * counts by reason, plus a detailed line for the first few of each interval (enough to diagnose a
 * misconfigured peer, never a flood in the log).
 */
import type { Logger } from "./log.js";

export const DEFAULT_MAX_PENDING_CONNECTIONS = 256;
export const DEFAULT_MAX_PENDING_PER_IP = 64;
export const REFUSAL_LOG_INTERVAL_MS = 10_000;
/** Detailed lines per interval for connections refused or rejected before authenticating. */
export const DEFAULT_REJECTION_DETAIL_LINES = 20;

export interface AdmissionLimits {
  maxPending: number;
  maxPendingPerIp: number;
}

/** Tracks pending (unauthenticated) connections of one listener, oldest first. */
export class PendingConnections<C> {
  private readonly byIp = new Map<string, Set<C>>();
  private readonly ipOf = new Map<C, string>();

  constructor(private readonly limits: AdmissionLimits) {
    if (!(limits.maxPending >= 1) || !(limits.maxPendingPerIp >= 1)) throw new Error("connection limits must be at least 1");
  }

  get size(): number {
    return this.ipOf.size;
  }

  /**
   * Which pending connection to cut so that one more from `ip` fits (undefined: it fits). The
   * caller cuts it (which calls `remove`) and then `add`s the newcomer.
   */
  victimFor(ip: string): C | undefined {
    const own = this.byIp.get(ip);
    if (own !== undefined && own.size >= this.limits.maxPendingPerIp) return first(own);
    if (this.ipOf.size < this.limits.maxPending) return undefined;
    return this.oldestOfHeaviest();
  }

  /** The oldest pending connection of the source holding the most (undefined when none is pending). */
  oldestOfHeaviest(): C | undefined {
    let heaviest: Set<C> | undefined;
    for (const set of this.byIp.values()) if (heaviest === undefined || set.size > heaviest.size) heaviest = set;
    return heaviest === undefined ? undefined : first(heaviest);
  }

  add(conn: C, ip: string): void {
    let set = this.byIp.get(ip);
    if (!set) this.byIp.set(ip, (set = new Set()));
    set.add(conn);
    this.ipOf.set(conn, ip);
  }

  /** Forgets a connection (authenticated or closed); idempotent. */
  remove(conn: C): void {
    const ip = this.ipOf.get(conn);
    if (ip === undefined) return;
    this.ipOf.delete(conn);
    const set = this.byIp.get(ip)!;
    set.delete(conn);
    if (set.size === 0) this.byIp.delete(ip);
  }
}

function first<C>(set: Set<C>): C | undefined {
  for (const c of set) return c;
  return undefined;
}

/** The source IP of a socket, with IPv4-mapped IPv6 addresses unwrapped. */
export function sourceIp(remoteAddress: string | undefined): string {
  if (remoteAddress === undefined) return "?";
  return remoteAddress.startsWith("::ffff:") ? remoteAddress.slice(7) : remoteAddress;
}

/**
 * Counts refused and rejected connections and logs them as one line per interval (event
 * `connections-refused`, fields: the total and the count per reason), plus the first
 * `detailLines` of each interval one by one (event and fields as given by the caller).
 */
export class RefusalLog {
  private counts = new Map<string, number>();
  private detailed = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly detailLines: number = DEFAULT_REJECTION_DETAIL_LINES,
    private readonly intervalMs: number = REFUSAL_LOG_INTERVAL_MS,
  ) {}

  /** Counts one refusal; logs it in detail while this interval's budget lasts. */
  count(reason: string, detail: { event: string; fields: Record<string, unknown> }): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
    if (this.detailed < this.detailLines) {
      this.detailed++;
      this.logger.log("warn", detail.event, detail.fields);
    }
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Writes the summary of the interval so far (if anything was counted) and starts a new one. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.counts.size === 0) return;
    let total = 0;
    const byReason: Record<string, number> = {};
    for (const [reason, n] of [...this.counts].sort((a, b) => b[1] - a[1])) {
      byReason[reason] = n;
      total += n;
    }
    const shown = Object.entries(byReason)
      .map(([r, n]) => `${n} ${r}`)
      .join(", ");
    this.logger.log("warn", "connections-refused", {
      listener: this.what,
      total,
      byReason,
      loggedOneByOne: this.detailed,
      summary: `refused ${total} connections: ${shown}`,
    });
    this.counts = new Map();
    this.detailed = 0;
  }

  /** Flushes what is left and stops the timer. */
  close(): void {
    this.flush();
  }
}
