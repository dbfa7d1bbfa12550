/**
 * The messages a scenario injects (`"kind": "inject"` faults), checked field by field against the
 * wire codec's table when the file loads: src/sim may not import src/real, so parseScenario checks
 * only the message type, and the CLI, which sees both, checks the rest before a malformed message
 * can reach a reducer.
 */
import { describeCodecError, validateMessage } from "../real/codec.js";
import { ScenarioError, type Scenario } from "../sim/scenario.js";

export function checkInjectedMessages(scenario: Scenario): void {
  scenario.faults.forEach((f, i) => {
    if (f.kind !== "inject") return;
    const result = validateMessage(f.message);
    if (!result.ok) throw new ScenarioError(`faults[${i}].message`, describeCodecError(result.error));
  });
}
