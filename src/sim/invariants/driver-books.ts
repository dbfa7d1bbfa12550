/**
 * The driver-side conservation checks D1-D9 and D14-D17 (driver-cores.ts, driver-offers.ts, driver-results.ts,
 * driver-failures.ts, driver-requests.ts, driver-attempts.ts, driver-lost-tasks.ts, driver-removals.ts,
 * driver-task-outcomes.ts) behind one ledger and one call, so
 * that the step loop (checks.ts) registers them in one line. The ledger also holds D10-D13's
 * (driver-speculation.ts), which checks.ts calls with the step's time.
 */
import type { Effect, Input } from "../../protocol/index.js";
import type { DriverRoleState } from "../../protocol/driver/state.js";
import { checkDriverCores, newDriverCoresLedger, type DriverCoresLedger } from "./driver-cores.js";
import { checkAttemptNumbers, checkKillsNameRunningAttempts, type LaunchCounts } from "./driver-attempts.js";
import { checkAppFailuresCounted, type AppFailureTally } from "./driver-failures.js";
import { checkOfferRound } from "./driver-offers.js";
import { checkExecutorRequests, type ExecutorTarget } from "./driver-requests.js";
import { checkJobResults, newDriverResultsLedger, type DriverResultsLedger } from "./driver-results.js";
import { checkLostTaskLosesExecutor } from "./driver-lost-tasks.js";
import { newSpeculationLedger, type SpeculationLedger } from "./driver-speculation.js";
import { checkRemovals, newRemovalLedger, type RemovalLedger } from "./driver-removals.js";
import { checkTaskOutcomes, type AcceptedResultBytes } from "./driver-task-outcomes.js";
import type { TidLedger } from "./dense.js";
import type { Report } from "./report.js";

/** What D1-D17 remember about one driver incarnation. */
export interface DriverBooks {
  cores: DriverCoresLedger;
  results: DriverResultsLedger;
  failures: AppFailureTally;
  target: ExecutorTarget;
  launches: LaunchCounts;
  /** D9-D11 (driver-speculation.ts, called with the step's time by checks.ts). */
  speculation: SpeculationLedger;
  /** D14-D15 (driver-removals.ts). */
  removals: RemovalLedger;
  /** D17 (driver-task-outcomes.ts). */
  acceptedResultBytes: AcceptedResultBytes;
}

export const newDriverBooks = (): DriverBooks => ({
  cores: newDriverCoresLedger(),
  results: newDriverResultsLedger(),
  failures: new Map(),
  target: { total: null },
  launches: new Map(),
  speculation: newSpeculationLedger(),
  removals: newRemovalLedger(),
  acceptedResultBytes: new Map(),
});

/** D1-D9 and D14-D17 for one driver step; `tids` is the driver ledger's, already updated for the step (checkDriverStep runs first). */
export function checkDriverBooks(
  name: string,
  s: DriverRoleState,
  tids: TidLedger,
  books: DriverBooks,
  input: Input | null,
  effects: readonly Effect[],
  report: Report,
): void {
  checkDriverCores(name, s, tids, books.cores, input, effects, report);
  checkOfferRound(name, s, input, effects, report);
  checkJobResults(name, s, tids, books.results, input, effects, report);
  checkAppFailuresCounted(name, s, tids, books.failures, input, effects, report);
  checkExecutorRequests(name, s, books.target, input, effects, report);
  checkAttemptNumbers(name, books.launches, effects, report);
  checkKillsNameRunningAttempts(name, s, tids, effects, report);
  checkLostTaskLosesExecutor(name, s, input, effects, report);
  checkRemovals(name, s, books.removals, input, effects, report);
  checkTaskOutcomes(name, s, tids, books.acceptedResultBytes, input, effects, report);
}
