/**
 * The submission client of cluster deploy mode in the simulator: the protocol role
 * (src/protocol/client), the same reducer `flint submit --deploy-mode cluster` hosts. A scenario's
 * driver submission is a `submitDriver` command to it; it asks every master and keeps asking the
 * standbys until the leader accepts.
 */
import type { DriverDescription, Input } from "../protocol/index.js";

export { submissionClient } from "../protocol/client/index.js";
export type { SubmissionClientState } from "../protocol/client/index.js";

/** The input that submits `desc` through the client. */
export const submitDriverInput = (desc: DriverDescription): Input => ({ type: "command", command: { kind: "submitDriver", desc } });
