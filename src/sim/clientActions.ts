/**
 * Client actions of a scenario's timeline (killDriver, driverStatus): what a user does with
 * `spark-submit --kill` and `--status` in cluster deploy mode. The submission client asks every
 * live master about a cluster-mode driver, by the id the driver's submission got; a standby or a
 * recovering master answers that it is not ALIVE, the leader answers from its books. A driver
 * whose submission has no id yet (not submitted, refused, or its answer lost) is asked about by
 * an id no master ever gives, as a user who mistypes one: the masters must answer that they know
 * no such driver.
 *
 * The answers go back to the client, which takes no command for them (it only logs them); the
 * checks judge them where they are made, at the master (invariants/client-answers.ts).
 */
import type { DriverId, Message } from "../protocol/index.js";
import type { SubmissionClientState } from "./client.js";
import type { FaultSpec } from "./scenario.js";

/** The prefix of the ids asked about for a driver with no id yet: a master's ids are `driver-<timestamp>-<number>`. */
export const UNSUBMITTED_DRIVER_PREFIX = "driver-unsubmitted-";

/** The id the client knows for the scenario's cluster-mode driver `name`, or null. */
export function submittedDriverId(client: SubmissionClientState, name: string): DriverId | null {
  for (const sub of client.submissions) if (sub.desc.command["simDriver"] === name && sub.driverId !== undefined) return sub.driverId;
  return null;
}

/** The request for this action and a line for the timeline. */
export function clientRequest(f: FaultSpec, client: SubmissionClientState): { message: Message; detail: string } {
  const known = submittedDriverId(client, f.driver!);
  const driverId = known ?? (`${UNSUBMITTED_DRIVER_PREFIX}${f.driver}` as DriverId);
  const which = known === null ? `driver ${f.driver} (no id yet: asks about ${driverId})` : `driver ${f.driver} (${driverId})`;
  switch (f.kind) {
    case "killDriver":
      return { message: { type: "RequestKillDriver", driverId }, detail: `the user asks the masters to kill ${which}` };
    case "driverStatus":
      return { message: { type: "RequestDriverStatus", driverId }, detail: `the user asks the masters for the status of ${which}` };
    default:
      throw new Error(`${f.kind} is not a client action`);
  }
}
