/**
 * Spark ids embed a `yyyyMMddHHmmss` timestamp. We format it from `ctx.now` with integer
 * arithmetic (no `Date`: src/protocol must not touch it), in UTC.
 */
export function formatTimestamp(nowMs: number): string {
  const totalSeconds = Math.floor(nowMs / 1000);
  const days = Math.floor(totalSeconds / 86400);
  const secondsOfDay = totalSeconds - days * 86400;
  const { year, month, day } = civilFromDays(days);
  const hh = Math.floor(secondsOfDay / 3600);
  const mm = Math.floor((secondsOfDay % 3600) / 60);
  const ss = secondsOfDay % 60;
  return `${pad(year, 4)}${pad(month, 2)}${pad(day, 2)}${pad(hh, 2)}${pad(mm, 2)}${pad(ss, 2)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/** Howard Hinnant's days-to-civil algorithm (proleptic Gregorian, days since 1970-01-01). */
function civilFromDays(z0: number): { year: number; month: number; day: number } {
  const z = z0 + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { year: m <= 2 ? y + 1 : y, month: m, day: d };
}
