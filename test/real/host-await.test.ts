/**
 * The host's awaited effects and fencing (what the master's durable recovery relies on): a handler
 * that returns a promise holds back the effects after it and every later input until it settles;
 * a rejected one ends the node; `mayAct` vetoes a step.
 */
import { afterEach, describe, expect, it } from "vitest";
import { appId, address } from "../../src/protocol/ids.js";
import { log, type Effect, type Role } from "../../src/protocol/io.js";
// A toy role's own log events, outside the protocol's declared list.
import type { LogEvent } from "../../src/protocol/log-events.js";
import type { PersistedRecord } from "../../src/protocol/records.js";
import { EXIT_EFFECT_FAILED, startHost, type HostDeps } from "../../src/real/host.js";
import { createMemoryLogger, type LogEntry } from "../../src/real/log.js";
import { Transport } from "../../src/real/transport.js";
import { SECRET, closeAll, track, waitFor } from "./fixtures.js";

interface RecorderState {
  /** What was stepped, in order. */
  stepped: string[];
}

const record: PersistedRecord = {
  kind: "app",
  app: {
    id: appId("app-1"),
    desc: { name: "a", memoryPerExecutorMb: 1, command: {} },
    driverAddress: address("flint://127.0.0.1:1"),
    startTimeMs: 0,
  },
};

/** On a `stop` command: persist, then log "after-persist"; every input is recorded by its type. */
const recorder: Role<RecorderState, Record<string, never>> = {
  name: "recorder",
  init: () => ({ state: { stepped: [] }, effects: [] }),
  step(state, input): Effect[] {
    state.stepped.push(input.type === "command" ? `command:${input.command.kind}` : input.type);
    if (input.type === "command" && input.command.kind === "stop")
      return [{ type: "persist", key: "app_app-1", record }, log("info", "after-persist" as LogEvent)];
    return [];
  },
};

async function start(
  deps: Partial<HostDeps>,
): Promise<{ host: ReturnType<typeof startHost<RecorderState, Record<string, never>>>; entries: LogEntry[] }> {
  const logger = createMemoryLogger("recorder");
  const transport = track(new Transport({ logger, secret: SECRET }));
  await transport.listen("127.0.0.1", 0);
  const host = startHost(recorder, {}, { transport, logger, ...deps });
  track({ close: () => host.stop() });
  return { host, entries: (logger as unknown as { entries: LogEntry[] }).entries };
}

describe("host: awaited effects and fencing", () => {
  afterEach(closeAll);

  it("host: a persist handler's promise holds back the next effect and the next input until it resolves", async () => {
    let resolvePersist!: () => void;
    const persisted: string[] = [];
    const { host, entries } = await start({
      handlers: {
        persist: (e) =>
          new Promise<void>((resolve) => {
            resolvePersist = () => {
              persisted.push(e.key);
              resolve();
            };
          }),
      },
    });
    host.input({ type: "command", command: { kind: "stop" } });
    host.input({ type: "leadershipRevoked" });
    await new Promise((r) => setTimeout(r, 50));
    expect(host.state.stepped).toEqual(["command:stop"]);
    expect(entries.some((e) => e.event === "after-persist")).toBe(false);
    resolvePersist();
    await waitFor(() => host.state.stepped.length === 2, "the held input");
    expect(persisted).toEqual(["app_app-1"]);
    expect(host.state.stepped).toEqual(["command:stop", "leadershipRevoked"]);
    const after = entries.findIndex((e) => e.event === "after-persist");
    expect(after).toBeGreaterThanOrEqual(0);
  });

  it("host: a rejected persist ends the node with exit code 74; nothing after it is carried out or stepped", async () => {
    const { host, entries } = await start({ handlers: { persist: () => Promise.reject(new Error("disk full")) } });
    host.input({ type: "command", command: { kind: "stop" } });
    host.input({ type: "leadershipRevoked" });
    const result = await host.exited;
    expect(result.code).toBe(EXIT_EFFECT_FAILED);
    expect(result.reason).toMatch(/persist failed: disk full/);
    expect(entries.some((e) => e.event === "after-persist")).toBe(false);
    expect(host.state.stepped).toEqual(["command:stop"]);
    expect(entries.find((e) => e.event === "effect-failed")?.fields).toMatchObject({ effect: "persist", error: "disk full" });
  });

  it("host: when mayAct gives a reason the node ends before stepping (a leader whose lease ran out)", async () => {
    let leading = true;
    const { host, entries } = await start({ mayAct: () => (leading ? undefined : "leadership lost") });
    host.input({ type: "leaderElected", stored: { apps: [], drivers: [], workers: [] } });
    await waitFor(() => host.state.stepped.length === 1, "the first step");
    leading = false;
    host.input({ type: "leadershipRevoked" });
    const result = await host.exited;
    expect(result).toEqual({ code: 1, reason: "leadership lost" });
    expect(host.state.stepped).toHaveLength(1);
    expect(entries.find((e) => e.event === "may-not-act")?.fields).toMatchObject({ reason: "leadership lost", input: "leadershipRevoked" });
  });
});
