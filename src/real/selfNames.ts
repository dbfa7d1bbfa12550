/**
 * Which addresses name this node, for the handshake's check that a client dialed US (and not some
 * other node whose hello an attacker relays). A dialed `flint://host:port` names us when the port
 * is our listening port and the host is our advertised host, the host we listen on, the local IP
 * the connection arrived on, `localhost` over loopback, or a DNS name that resolves to that local
 * IP. The last needs a lookup, which the listener runs before it hands the hello on (`lookup`):
 * at most MAX_LOOKUPS at a time (they use libuv's thread pool, which file I/O shares; an attacker
 * may send random names), with answers cached for a while, positive and negative.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { isLoopbackHost, parseAddress } from "./address.js";
import { sourceIp } from "./admission.js";

const MAX_LOOKUPS = 2;
const FOUND_TTL_MS = 60_000;
const MISSING_TTL_MS = 10_000;
const MAX_CACHED = 256;
/** A lookup that takes longer counts as not found (the handshake deadline is near). */
const LOOKUP_TIMEOUT_MS = 1_500;

interface Cached {
  ips: string[];
  expiresAtMs: number;
}

export class SelfNames {
  private readonly cache = new Map<string, Cached>();
  private inFlight = 0;

  /**
   * @param names the host names this node knows itself by (advertised, listening), lower case or not
   * @param port our listening port (undefined before listening)
   */
  constructor(
    private readonly names: () => Array<string | undefined>,
    private readonly port: () => number | undefined,
  ) {}

  /** Whether `dialed` names this node, for a connection whose local end is `localAddress`. */
  isOwn(dialed: string, localAddress: string | undefined): boolean {
    const target = this.parse(dialed);
    if (target === undefined) return false;
    const host = target.host.toLowerCase();
    const local = sourceIp(localAddress).toLowerCase();
    if (host === local) return true;
    if (this.names().some((n) => n !== undefined && n.toLowerCase() === host)) return true;
    if (host === "localhost") return isLoopbackHost(local);
    const cached = this.cache.get(host);
    return cached?.ips.includes(local) === true;
  }

  /** A DNS name worth looking up before deciding on `dialed` (undefined: decide now). */
  nameToLookUp(dialed: string, localAddress: string | undefined, nowMs: number): string | undefined {
    if (this.isOwn(dialed, localAddress)) return undefined;
    const target = this.parse(dialed);
    if (target === undefined || isIP(target.host) !== 0 || target.host.toLowerCase() === "localhost") return undefined;
    const cached = this.cache.get(target.host.toLowerCase());
    if (cached !== undefined && cached.expiresAtMs > nowMs) return undefined;
    return target.host.toLowerCase();
  }

  /** Looks `name` up (bounded, cached); settles without throwing. */
  async lookup(name: string, nowMs: () => number = Date.now): Promise<void> {
    if (this.inFlight >= MAX_LOOKUPS) return;
    this.inFlight++;
    let ips: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    try {
      const found = await Promise.race([
        lookup(name, { all: true }),
        new Promise<[]>((resolve) => {
          timer = setTimeout(() => resolve([]), LOOKUP_TIMEOUT_MS);
        }),
      ]);
      ips = found.map((a) => sourceIp(a.address).toLowerCase());
    } catch {
      ips = [];
    } finally {
      clearTimeout(timer);
      this.inFlight--;
    }
    if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(name, { ips, expiresAtMs: nowMs() + (ips.length > 0 ? FOUND_TTL_MS : MISSING_TTL_MS) });
  }

  private parse(dialed: string): { host: string; port: number } | undefined {
    let target: { host: string; port: number };
    try {
      target = parseAddress(dialed);
    } catch {
      return undefined;
    }
    return target.port === this.port() ? target : undefined;
  }
}

/** The `dialed` field of a hello frame, if `payload` is one (a cheap look before the handshake reads it). */
export function dialedOfHello(payload: Buffer): string | undefined {
  if (payload.length > 4_096) return undefined;
  let frame: unknown;
  try {
    frame = JSON.parse(payload.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof frame !== "object" || frame === null) return undefined;
  const f = frame as Record<string, unknown>;
  return f["hs"] === "hello" && typeof f["dialed"] === "string" ? f["dialed"] : undefined;
}
