/**
 * Fixed port ranges for the processes that otherwise take any free port (drivers, executors), so
 * that a firewall between machines can open exactly those: `40000-40099`.
 */
import type { Address } from "../protocol/ids.js";
import type { Transport } from "./transport.js";

export interface PortRange {
  from: number;
  to: number;
}

/** Most ports one range may hold (a range is tried port by port). */
export const MAX_RANGE_PORTS = 10_000;

/** Parses `A-B` (or one port `A`); the error says what is wrong, the caller names where. */
export function parsePortRange(text: string): PortRange {
  const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(text.trim());
  if (!m) throw new RangeError(`'${text}' is not a port range such as 40000-40099`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to > 65535 || from > to) throw new RangeError(`'${text}' is not a range of ports within 1-65535, low to high`);
  if (to - from + 1 > MAX_RANGE_PORTS) throw new RangeError(`'${text}' holds more than ${MAX_RANGE_PORTS} ports`);
  return { from, to };
}

export const formatPortRange = (r: PortRange): string => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`);

/** Listens on the first free port of `range` (any free port without one); says so when all are taken. */
export async function listenInRange(transport: Transport, host: string, range: PortRange | undefined): Promise<Address> {
  if (range === undefined) return transport.listen(host, 0);
  for (let port = range.from; port <= range.to; port++) {
    try {
      return await transport.listen(host, port);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    }
  }
  throw new Error(`every port of ${formatPortRange(range)} on ${host} is taken (make the range larger)`);
}
