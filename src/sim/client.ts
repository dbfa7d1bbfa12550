/**
 * The submission client of cluster deploy mode (Spark's `Client`), as a tiny role the simulator
 * hosts: the run injects `RequestSubmitDriver` on its behalf; it keeps every answer it gets.
 */
import type { Effect, Input, Message, Role } from "../protocol/index.js";

export interface SubmissionClientState {
  /** Every answer received, in arrival order (bounded by the scenario's submissions). */
  answers: Array<{ from: string; message: Message }>;
}

const MAX_ANSWERS = 10_000;

export const submissionClient: Role<SubmissionClientState, null> = {
  name: "client",
  init: () => ({ state: { answers: [] }, effects: [] }),
  step(state: SubmissionClientState, input: Input): Effect[] {
    if (input.type === "message" && state.answers.length < MAX_ANSWERS) state.answers.push({ from: input.from, message: input.message });
    return [];
  },
};
