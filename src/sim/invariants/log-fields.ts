/**
 * N4 `log-fields-declared`: every `log` effect a role emits carries the fields its event always
 * carries (LOG_EVENT_FIELDS; for an ignored input, IGNORE_REASON_FIELDS of its reason, or the
 * emitting role's row of IGNORE_REASON_FIELDS_BY_ROLE where roles give a reason different fields), as N1
 * checks its names. The fields are what a log line tells an operator (which app, which worker,
 * why), what scenario expectations and the checks themselves select on (`workerRemoved`'s
 * workerId, `applicationRemoved`'s state): a field that went missing makes a line that says
 * nothing, and a check that silently stops matching. An event or reason N1 does not know is N1's
 * to report. Allocates nothing when all is well.
 */
import type { Effect } from "../../protocol/index.js";
import { IGNORE_REASON_FIELDS, IGNORE_REASON_FIELDS_BY_ROLE, LOG_EVENT_FIELDS } from "../../protocol/log-events.js";

export const N4 = "N4:log-fields-declared";

const EVENT_FIELDS: ReadonlyMap<string, readonly string[]> = new Map(Object.entries(LOG_EVENT_FIELDS));
const REASON_FIELDS: ReadonlyMap<string, readonly string[]> = new Map(Object.entries(IGNORE_REASON_FIELDS));
const ROLE_REASON_FIELDS: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>> = new Map(
  Object.entries(IGNORE_REASON_FIELDS_BY_ROLE).map(([why, byRole]) => [why, new Map(Object.entries(byRole ?? {}))] as const),
);

/** The first declared field a step's log effects lack (a sentence), or null; `role`: the emitting node's kind. */
export function missingLogField(effects: readonly Effect[], role = ""): string | null {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "log") continue;
    const f = e.fields;
    const ignoredWhy = e.event === "ignored" ? f["why"] : undefined;
    const names =
      e.event === "ignored"
        ? (ROLE_REASON_FIELDS.get(String(ignoredWhy))?.get(role) ?? REASON_FIELDS.get(String(ignoredWhy)))
        : EVENT_FIELDS.get(e.event);
    if (names === undefined) continue;
    for (let k = 0; k < names.length; k++) {
      if (!Object.hasOwn(f, names[k]!))
        return e.event === "ignored"
          ? `an input ignored as ${String(ignoredWhy)} does not say its ${names[k]}`
          : `log event ${e.event} does not carry its ${names[k]}`;
    }
  }
  return null;
}
