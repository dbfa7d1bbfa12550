/**
 * N1: every `log` effect a role emits names a declared event (LOG_EVENTS) at a declared level
 * (LOG_LEVELS), and every `ignored(why)` gives a declared reason (IGNORE_REASONS). The types say so
 * at compile time; this says so of what a run actually emitted, so a name that differs from every
 * declared one (a mutated or computed string, a reason an `as` cast let through) fails the run.
 * Scenario files, the coverage table and the checks select log effects by these names: an
 * undeclared one is an event nothing can ever match.
 */
import type { Effect } from "../../protocol/index.js";
import { IGNORE_REASONS, LOG_EVENTS, LOG_LEVELS } from "../../protocol/log-events.js";

const EVENTS: ReadonlySet<string> = new Set(LOG_EVENTS);
const LEVELS: ReadonlySet<string> = new Set(LOG_LEVELS);
const REASONS: ReadonlySet<string> = new Set(IGNORE_REASONS);

/** What is undeclared in one step's log effects (a sentence), or null when every name is declared. Allocates nothing when all is well. */
export function undeclaredLogName(effects: readonly Effect[]): string | null {
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
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
