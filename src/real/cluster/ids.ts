/** Ids a real process makes for itself (docs/protocol.md §1.0). */
import { workerId, type WorkerId } from "../../protocol/ids.js";

/** yyyyMMddHHmmss in local time, as Spark's SimpleDateFormat does. */
export function compactTimestamp(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, "0");
  return (
    String(date.getFullYear()).padStart(4, "0") +
    two(date.getMonth() + 1) +
    two(date.getDate()) +
    two(date.getHours()) +
    two(date.getMinutes()) +
    two(date.getSeconds())
  );
}

/** Spark's Worker.generateWorkerId: `worker-<yyyyMMddHHmmss>-<host>-<port>`. */
export function makeWorkerId(host: string, port: number, date: Date = new Date()): WorkerId {
  return workerId(`worker-${compactTimestamp(date)}-${host}-${port}`);
}
