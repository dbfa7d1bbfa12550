/**
 * N1: every `log` effect a role emits names a declared event (LOG_EVENTS) at a declared level
 * (LOG_LEVELS), every `ignored(why)` gives a declared reason (IGNORE_REASONS), and every message
 * it sends has a declared type (MESSAGE_TYPES). The types say so
 * at compile time; this says so of what a run actually emitted, so a name that differs from every
 * declared one (a mutated or computed string, a reason an `as` cast let through) fails the run.
 * Scenario files, the coverage table and the checks select log effects by these names: an
 * undeclared one is an event nothing can ever match.
 */
import type { Effect } from "../../protocol/index.js";
import { IGNORE_REASONS, LOG_EVENTS, LOG_LEVELS } from "../../protocol/log-events.js";
import { MESSAGE_TYPES } from "../../protocol/messages.js";

const EVENTS: ReadonlySet<string> = new Set(LOG_EVENTS);
const LEVELS: ReadonlySet<string> = new Set(LOG_LEVELS);
const REASONS: ReadonlySet<string> = new Set(IGNORE_REASONS);
const TYPES: ReadonlySet<string> = new Set(MESSAGE_TYPES);

/** What is undeclared in one step's log effects (a sentence), or null when every name is declared. Allocates nothing when all is well. */
export function undeclaredLogName(effects: readonly Effect[]): string | null {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "send") {
      if (!TYPES.has(e.message.type)) return `a message to ${e.to} has the undeclared type ${JSON.stringify(e.message.type)}`;
      continue;
    }
    if (e.type !== "log") continue;
    if (!EVENTS.has(e.event)) return `a log effect names the undeclared event ${JSON.stringify(e.event)}`;
    if (!LEVELS.has(e.level)) return `log event ${e.event} has the undeclared level ${JSON.stringify(e.level)}`;
    if (e.event === "ignored") {
      const why = e.fields["why"];
      if (typeof why !== "string" || !REASONS.has(why)) return `an ignored input gives the undeclared reason ${JSON.stringify(why)}`;
    }
  }
  return null;
}

export const N1 = "N1:log-names-declared";

export const N2 = "N2:no-empty-text";

/**
 * N2: a role never sends or logs an empty text: no `send` goes to an empty address, and no
 * string among a sent message's own fields or a log effect's fields is empty. An address, an id,
 * a state, a reason given to a driver or a worker, or the text of a log line that is empty names
 * nothing: the receiver or the operator cannot act on it. Returns a sentence, or null. Allocates
 * nothing when all is well.
 */
export function emptyText(effects: readonly Effect[]): string | null {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "send") {
      if (e.to === "") return `a ${e.message.type} is sent to an empty address`;
      const m = e.message as unknown as Record<string, unknown>;
      for (const k in m) if (m[k] === "") return `${e.message.type} to ${e.to} carries an empty ${k}`;
    } else if (e.type === "log") {
      const f = e.fields;
      for (const k in f) if (f[k] === "") return `log event ${e.event} carries an empty ${k}`;
    }
  }
  return null;
}
