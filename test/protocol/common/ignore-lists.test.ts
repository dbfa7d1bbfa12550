/**
 * Each role's ignored messages are a list (worker, driver, executor): together with the messages its
 * authority table says it handles, they must be every message type, each exactly once; and every
 * listed one must really be ignored as `unexpected-message`. (The compile-time half: each dispatch
 * ends in `assertNever` after the list's guard, so a type neither handled nor listed breaks the build.)
 */
import { describe, expect, it } from "vitest";
import { DRIVER_SENDERS } from "../../../src/protocol/driver/authority.js";
import { DRIVER_IGNORED_MESSAGES } from "../../../src/protocol/driver/index.js";
import { EXECUTOR_SENDERS } from "../../../src/protocol/executor/authority.js";
import { EXECUTOR_IGNORED_MESSAGES } from "../../../src/protocol/executor/step.js";
import { messageTypeGuard } from "../../../src/protocol/ignored-messages.js";
import type { Effect } from "../../../src/protocol/io.js";
import { MESSAGE_TYPES, type Message, type MessageType } from "../../../src/protocol/messages.js";
import { WORKER_SENDERS } from "../../../src/protocol/worker/authority.js";
import { WORKER_IGNORED_MESSAGES } from "../../../src/protocol/worker/step.js";
import { deliver, MASTER, registeredDriver } from "../driver/fixtures.js";
import { constructedExecutor, fromDriver, step as stepExecutor } from "../executor/fixtures.js";
import { fromPeer, M1, registeredWorker, step as stepWorker } from "../worker/fixtures.js";

const ROLES: Array<{ role: string; ignored: readonly MessageType[]; handled: readonly string[]; deliver: (m: Message) => Effect[] }> = [
  {
    role: "worker",
    ignored: WORKER_IGNORED_MESSAGES,
    handled: Object.keys(WORKER_SENDERS),
    deliver: (m) => stepWorker(registeredWorker(), fromPeer(M1, m)),
  },
  {
    role: "driver",
    ignored: DRIVER_IGNORED_MESSAGES,
    handled: Object.keys(DRIVER_SENDERS),
    deliver: (m) => deliver(registeredDriver(), MASTER, m),
  },
  {
    role: "executor",
    ignored: EXECUTOR_IGNORED_MESSAGES,
    handled: Object.keys(EXECUTOR_SENDERS),
    deliver: (m) => stepExecutor(constructedExecutor(), fromDriver(m)),
  },
];

describe("ignore lists", () => {
  for (const { role, ignored, handled, deliver: deliverTo } of ROLES) {
    it(`ignore lists: the ${role}'s ignored and handled messages are every message type, each once`, () => {
      expect(new Set(ignored).size, "no type listed twice").toBe(ignored.length);
      expect(
        ignored.filter((t) => handled.includes(t)),
        "listed and handled",
      ).toEqual([]);
      expect([...ignored, ...handled].sort()).toEqual([...MESSAGE_TYPES].sort());
    });

    it(`ignore lists: the ${role} ignores each listed message as unexpected-message, and nothing else`, () => {
      for (const type of ignored) {
        expect(deliverTo({ type } as Message), type).toEqual([
          expect.objectContaining({ type: "log", fields: expect.objectContaining({ why: "unexpected-message", type }) }),
        ]);
      }
    });
  }

  it("ignore lists: a list's guard holds for the listed types only", () => {
    const isListed = messageTypeGuard(["StopExecutor", "Heartbeat"]);
    expect(MESSAGE_TYPES.filter((type) => isListed({ type } as Message))).toEqual(["Heartbeat", "StopExecutor"]);
  });
});
