/** A toy role for host tests: pings a peer on a timer, answers pings, and exercises every effect. */
import { executorId, jobId, type Address } from "../../src/protocol/ids.js";
import { exit, log, notify, send, setTimer, cancelTimer, type Effect, type Input, type Role } from "../../src/protocol/io.js";
// A toy role's own log events, outside the protocol's declared list.
import type { LogEvent } from "../../src/protocol/log-events.js";

export interface ToyConfig {
  self: Address;
  peer?: Address;
  pings: number;
  intervalMs: number;
}

export interface ToyState {
  /** Whom we ping; null when we only answer. */
  peer: Address | null;
  /** Pings sent so far; at most `pings`. */
  pingsSent: number;
  pongsReceived: number;
  pings: number;
  intervalMs: number;
  /** Every input's type (and key or message type), in the order stepped. */
  seen: string[];
  /** ctx.now of every step. */
  nows: number[];
  /** True while step runs: a re-entrant call would find it set. */
  inStep: boolean;
  reentered: boolean;
}

export const toy: Role<ToyState, ToyConfig> = {
  name: "toy",
  init(config, ctx) {
    const state: ToyState = {
      peer: config.peer ?? null,
      pingsSent: 0,
      pongsReceived: 0,
      pings: config.pings,
      intervalMs: config.intervalMs,
      seen: [],
      nows: [ctx.now],
      inStep: false,
      reentered: false,
    };
    return {
      state,
      effects: config.peer ? [setTimer("ping", config.intervalMs), log("info", "toy-started" as LogEvent, { peer: config.peer })] : [],
    };
  },
  step(state, input, ctx) {
    if (state.inStep) state.reentered = true;
    state.inStep = true;
    state.nows.push(ctx.now);
    state.seen.push(describe(input));
    const effects = react(state, input);
    state.inStep = false;
    return effects;
  },
};

function describe(input: Input): string {
  switch (input.type) {
    case "timer":
      return `timer:${input.key}`;
    case "message":
      return `message:${input.message.type}`;
    case "command":
      return `command:${input.command.kind}`;
    case "peerDisconnected":
      return `peerDisconnected:${input.peer}`;
    default:
      return input.type;
  }
}

function react(state: ToyState, input: Input): Effect[] {
  switch (input.type) {
    case "timer":
      if (input.key === "ping" && state.peer) {
        const effects = [send(state.peer, { type: "ExecutorHeartbeat", executorId: executorId(state.pingsSent) })];
        state.pingsSent++;
        if (state.pingsSent < state.pings) effects.push(setTimer("ping", state.intervalMs));
        return effects;
      }
      if (input.key === "boom") throw new Error("toy bug in a timer");
      return [];
    case "message":
      switch (input.message.type) {
        case "ExecutorHeartbeat":
          return [send(input.from, { type: "HeartbeatResponse", reregisterBlockManager: false })];
        case "HeartbeatResponse":
          state.pongsReceived++;
          if (state.pongsReceived === state.pings)
            return [
              notify({ kind: "jobSucceeded", jobId: jobId("pings"), results: [state.pongsReceived] }),
              exit(0, "all pongs received"),
              log("info", "never-logged" as LogEvent),
            ];
          return [];
        case "StopExecutor":
          throw new Error("toy bug on StopExecutor");
        default:
          return [];
      }
    case "command":
      switch (input.command.kind) {
        case "requestTotalExecutors":
          return [
            {
              type: "launch",
              spec: {
                kind: "driver",
                driverId: "d-1" as never,
                desc: { cores: 1, memoryMb: 1, supervise: false, command: {} },
                workerAddress: state.peer ?? ("x" as Address),
                workerId: "w" as never,
              },
            },
            {
              type: "runTask",
              task: {
                taskId: input.command.total,
                attemptNumber: 0,
                executorId: executorId(0),
                taskSetId: "j.0.0",
                index: 0,
                cpus: 1,
                payload: { data: null, sizeBytes: 0 },
              },
            },
            {
              type: "persist",
              key: "k",
              record: {
                kind: "worker",
                worker: { id: "w" as never, host: "h", port: 1, address: "flint://h:1" as Address, cores: 1, memoryMb: 1 },
              },
            },
          ];
        case "killTask":
          return [setTimer("later", 60), setTimer("later", 20), setTimer("cancelled", 10), cancelTimer("cancelled")];
        case "cancelJob": {
          // reason: "boom" | "set:<key>:<ms>" | "cancel:<key>" | "unknown-effect" | "notify"
          const [verb, key, ms] = input.command.reason.split(":");
          if (verb === "set") return [setTimer(key!, Number(ms))];
          if (verb === "cancel") return [cancelTimer(key!)];
          if (verb === "unknown-effect") return [{ type: "teleport" } as unknown as Effect];
          if (verb === "notify") return [notify({ kind: "appDead", reason: "test" })];
          return [setTimer("boom", 0)];
        }
        case "stopApplication":
          return [send(state.peer ?? ("" as Address), { type: "StopExecutor" })];
        case "killExecutors":
          return [send(input.command.executorIds[0] as Address, { type: "ExecutorHeartbeat", executorId: executorId(99) })];
        default:
          return [];
      }
    default:
      return [];
  }
}
