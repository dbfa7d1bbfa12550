/** Ids a real process makes for itself (docs/protocol.md §1.0). */
import { formatWorkerId, type WorkerId } from "../../protocol/ids.js";

/** Spark's Worker.generateWorkerId, with the protocol's formatter (UTC): `worker-<yyyyMMddHHmmss>-<host>-<port>`. */
export function makeWorkerId(host: string, port: number, nowMs: number = Date.now()): WorkerId {
  return formatWorkerId(nowMs, host, port);
}
