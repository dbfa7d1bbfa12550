/**
 * The verdict of a scenario run: what the scenario expected of its jobs, its events and its faults,
 * against what happened, with the safety checks' violations; one reason per failure.
 */
import type { Checks } from "./checks.js";
import type { Expectations } from "./expectations.js";
import type { FaultRecord } from "./faults.js";
import type { Scenario } from "./scenario.js";

export interface JobOutcome {
  app: string;
  state: "succeeded" | "failed" | "unfinished";
  atMs?: number;
  reason?: string;
}

export interface Verdict {
  ok: boolean;
  reasons: string[];
}

export interface VerdictInputs {
  scenario: Scenario;
  jobs: Readonly<Record<string, JobOutcome>>;
  expectations: Expectations;
  faults: readonly FaultRecord[];
  checks: Pick<Checks, "violationCount" | "violations">;
  /** The virtual time the run was allowed (below the scenario's limit when cut short by --until). */
  limitMs: number;
}

export function verdictOf({ scenario, jobs, expectations, faults, checks, limitMs }: VerdictInputs): Verdict {
  const reasons: string[] = [];
  const ex = scenario.expect;
  for (const [id, job] of Object.entries(jobs)) {
    const want = ex.jobs[id];
    if (want !== undefined) {
      if (job.state !== want.state)
        reasons.push(`job ${id}: expected ${want.state}, was ${job.state}${job.reason ? ` (${job.reason})` : ""}`);
      else if (want.failureContains !== undefined && !(job.reason ?? "").includes(want.failureContains))
        reasons.push(`job ${id}: failure reason ${JSON.stringify(job.reason)} lacks ${JSON.stringify(want.failureContains)}`);
    } else if (ex.allJobsSucceed && job.state !== "succeeded")
      reasons.push(`job ${id}: expected succeeded, was ${job.state}${job.reason ? ` (${job.reason})` : ""}`);
  }
  reasons.push(...expectations.problems());
  if (ex.faultsMustFire)
    for (const f of faults)
      if (!f.fired && !f.random)
        reasons.push(`fault #${f.index} (${f.kind} ${f.target} at ${f.atMs} ms) never took effect${f.detail ? `: ${f.detail}` : ""}`);
  if (checks.violationCount > 0)
    reasons.push(`${checks.violationCount} check violations (first: ${checks.violations[0]!.check}: ${checks.violations[0]!.detail})`);
  if (limitMs < scenario.timeLimitMs)
    reasons.push(`run cut short at ${limitMs} ms by --until (the scenario allows ${scenario.timeLimitMs} ms)`);
  return { ok: reasons.length === 0, reasons };
}
