/**
 * The reducers build their messages as object literals, which TypeScript lets carry fields the
 * schema lacks when they come from a wider object (a spread of a state record, say). The codec
 * refuses unknown fields, so such a message would be refused by its receiver on the real transport
 * although the simulator delivers it. Every message simulated runs send (each shipped scenario,
 * and swarm plans, which add executor requests, kills and more faults) must pass the codec as it
 * is, and after a JSON round trip (as on a socket).
 */
import { describe, expect, it } from "vitest";
import type { MessageType } from "../../src/protocol/messages.js";
import { describeCodecError, validateMessage } from "../../src/real/codec.js";
import { runScenario } from "../../src/sim/cluster.js";
import { drawSwarmPlan } from "../../src/sim/fuzz/index.js";
import { ROLES } from "../../src/sim/roles.js";
import type { Scenario } from "../../src/sim/scenario.js";
import { loadScenario, scenarioFiles } from "../sim/helpers.js";

describe("codec: what the simulated roles send", () => {
  it("codec: every message sent in simulated runs of the shipped scenarios and of swarm plans passes the codec", () => {
    const refused: string[] = [];
    const seen = new Set<MessageType>();
    const check = (name: string, scenario: Scenario, seed: number): void => {
      runScenario(scenario, ROLES, {
        seed,
        recordSink: (record) => {
          for (const effect of record.effects) {
            if (effect.type !== "send") continue;
            seen.add(effect.message.type);
            for (const value of [effect.message, JSON.parse(JSON.stringify(effect.message))]) {
              const result = validateMessage(value);
              if (!result.ok && refused.length < 10) refused.push(`${name}: ${describeCodecError(result.error)}`);
            }
          }
        },
      });
    };
    for (const file of scenarioFiles().filter((f) => f !== "big-cluster.json")) check(file, loadScenario(file), 1);
    for (let seed = 1; seed <= 12; seed++) {
      const plan = drawSwarmPlan(seed);
      check(`swarm seed ${seed}`, plan, plan.seed);
    }
    expect(refused).toEqual([]);
    expect(seen.size).toBeGreaterThan(35); // the runs exercised most of the protocol
  });
});
