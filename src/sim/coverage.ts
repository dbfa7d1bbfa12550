/**
 * Protocol coverage of simulated runs, to steer the fuzzer: for each role, the cells (phase the
 * role was in x input type it got) its steps reached, and the handler outcomes approximated as
 * (role, input type, why) for every `ignored(why)` a step emitted. The host side only: the roles
 * are wrapped (`wrap`), nothing in src/protocol is instrumented.
 *
 * The table of cells known comes from the code: the phases from the roles' state enumerations
 * (typed records the compiler keeps complete), the input types from MESSAGE_TYPES and the Input
 * and Command unions, minus the input types a role's dispatch rejects as not for it (found once
 * by stepping a copy of a live state of each role with each input type, see `knownCells`).
 * Deterministic (no clock, no I/O) and cheap: one Map lookup and one array increment per step.
 */
import { INPUT_TYPES, type Command, type Effect, type Input, type InputType } from "../protocol/io.js";
import { MESSAGE_TYPES } from "../protocol/messages.js";
import type { RecoveryState } from "../protocol/states.js";
import type { DriverPhase, DriverRoleState } from "../protocol/driver/state.js";
import type { ExecutorBackendState } from "../protocol/executor/state.js";
import type { MasterState } from "../protocol/master/state.js";
import type { WorkerState } from "../protocol/worker/state.js";
import { ClusterRun, type RoleSet } from "./cluster.js";
import { parseScenario } from "./scenario.js";
import type { AnyRole } from "./world.js";

export const COVERED_ROLES = ["master", "worker", "driver", "executor"] as const;
export type CoveredRole = (typeof COVERED_ROLES)[number];

// Records keyed by a union type: adding a state to the union fails compilation until it is here.
const RECOVERY_STATES: Record<RecoveryState, true> = { STANDBY: true, ALIVE: true, RECOVERING: true, COMPLETING_RECOVERY: true };
const DRIVER_PHASES: Record<DriverPhase, true> = { running: true, dead: true, stopped: true };
/** The inputs that are neither a message nor a command (io.ts's list, which the compiler keeps complete). */
const OTHER_INPUTS: readonly InputType[] = INPUT_TYPES.filter((t) => t !== "message" && t !== "command");
const COMMAND_KINDS: Record<Command["kind"], true> = {
  submitJob: true,
  cancelJob: true,
  killTask: true,
  requestTotalExecutors: true,
  killExecutors: true,
  stopApplication: true,
  stop: true,
  submitDriver: true,
};

/**
 * Each role's phases, read off its state. The master's is its RecoveryState; the others' states
 * have no single enumeration, so their phases are the registration milestones the state records.
 */
const PHASES: { [R in CoveredRole]: readonly string[] } = {
  master: Object.keys(RECOVERY_STATES),
  worker: ["unregistered", "registering", "registered", "disconnected"],
  // A running driver is split by whether its app client has registered.
  driver: ["registering", "registered", ...Object.keys(DRIVER_PHASES).filter((p) => p !== "running")],
  // Not yet built (registering; the state has no idle time before that), built, or stopping.
  executor: ["registering", "running", "stopping"],
};

function masterPhase(s: MasterState): number {
  switch (s.recoveryState) {
    case "STANDBY":
      return 0;
    case "ALIVE":
      return 1;
    case "RECOVERING":
      return 2;
    case "COMPLETING_RECOVERY":
      return 3;
  }
}
const workerPhase = (s: WorkerState): number => (s.registered ? (s.connected ? 2 : 3) : s.masterAddress === null ? 0 : 1);
const driverPhase = (s: DriverRoleState): number => (s.phase === "running" ? (s.appClient.registered ? 1 : 0) : s.phase === "dead" ? 2 : 3);
const executorPhase = (s: ExecutorBackendState): number => (s.stopping ? 2 : s.constructed ? 1 : 0);
const PHASE_OF: { [R in CoveredRole]: (state: never) => number } = {
  master: masterPhase,
  worker: workerPhase,
  driver: driverPhase,
  executor: executorPhase,
};

/** Every input label: message types, the other input types, and `command:<kind>`. */
export const INPUT_LABELS: readonly string[] = [
  ...MESSAGE_TYPES,
  ...OTHER_INPUTS,
  ...Object.keys(COMMAND_KINDS).map((k) => `command:${k}`),
];
const INPUT_INDEX: ReadonlyMap<string, number> = new Map(INPUT_LABELS.map((l, i) => [l, i]));
const MAX_PHASES = 4;
const ROLE_STRIDE = MAX_PHASES * INPUT_LABELS.length;
/** Size of the dense cell space: role x phase x input label. */
export const CELL_SPACE = COVERED_ROLES.length * ROLE_STRIDE;

/** The input's index in INPUT_LABELS, without building its label (runs on every step). */
function inputIndex(input: Input): number {
  if (input.type === "message") return INPUT_INDEX.get(input.message.type) ?? 0;
  if (input.type === "command") return INPUT_INDEX.get(`command:${input.command.kind}`) ?? 0;
  return INPUT_INDEX.get(input.type) ?? 0;
}

export function inputLabel(input: Input): string {
  if (input.type === "message") return input.message.type;
  if (input.type === "command") return `command:${input.command.kind}`;
  return input.type;
}

/** A cell index as "role phase input". */
export function cellName(cell: number): string {
  const role = COVERED_ROLES[Math.floor(cell / ROLE_STRIDE)]!;
  const rest = cell % ROLE_STRIDE;
  return `${role} ${PHASES[role][Math.floor(rest / INPUT_LABELS.length)]} ${INPUT_LABELS[rest % INPUT_LABELS.length]}`;
}

function cellOf(role: number, phase: number, input: number): number {
  return role * ROLE_STRIDE + phase * INPUT_LABELS.length + input;
}

/** What one run (or many, merged) reached. */
export class Coverage {
  /** Steps per cell (dense). */
  readonly hits = new Uint32Array(CELL_SPACE);
  /** Steps per handler outcome `role input why` (only ignored inputs have a why). */
  readonly branches = new Map<string, number>();

  /** Clears the counts (one Coverage serves seed after seed). */
  reset(): void {
    this.hits.fill(0);
    this.branches.clear();
  }

  private wrapped: { of: RoleSet; as: RoleSet } | null = null;

  /** Roles that count into this coverage; otherwise identical to `roles` (built once per role set). */
  wrap(roles: RoleSet): RoleSet {
    if (this.wrapped?.of !== roles)
      this.wrapped = {
        of: roles,
        as: {
          master: this.wrapRole(roles.master, 0),
          worker: this.wrapRole(roles.worker, 1),
          driver: this.wrapRole(roles.driver, 2),
          executor: this.wrapRole(roles.executor, 3),
        },
      };
    return this.wrapped.as;
  }

  private wrapRole(inner: AnyRole, role: number): AnyRole {
    const phaseOf = PHASE_OF[COVERED_ROLES[role]!] as (s: unknown) => number;
    const hits = this.hits;
    const branches = this.branches;
    const roleName = COVERED_ROLES[role]!;
    const roleBase = role * ROLE_STRIDE;
    const labels = INPUT_LABELS.length;
    return {
      name: inner.name,
      init: (config, ctx) => inner.init(config, ctx),
      step: (state, input, ctx) => {
        const index = inputIndex(input);
        hits[roleBase + phaseOf(state) * labels + index]!++;
        const effects: Effect[] = inner.step(state, input, ctx);
        for (let i = 0; i < effects.length; i++) {
          const e = effects[i]!;
          if (e.type === "log" && e.event === "ignored") {
            const key = `${roleName} ${INPUT_LABELS[index]} ${String(e.fields["why"])}`;
            branches.set(key, (branches.get(key) ?? 0) + 1);
          }
        }
        return effects;
      },
    };
  }

  /** The cells reached, ascending. */
  cellsHit(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.hits.length; i++) if (this.hits[i]! > 0) out.push(i);
    return out;
  }

  /** The handler outcomes reached, sorted. */
  branchesHit(): string[] {
    return [...this.branches.keys()].sort();
  }
}

/** A tiny run whose nodes give one live state per role, for probing which inputs each role handles. */
const PROBE_SCENARIO = {
  name: "coverage-probe",
  comment: "one of each role, alive, for probing which input types each role's dispatch handles",
  seed: 1,
  timeLimitMs: 20_000,
  cluster: { masters: 1, workers: [{ count: 1, cores: 2, memoryMb: 2048 }] },
  apps: [
    { name: "p", submitAtMs: 100, coresPerExecutor: 1, jobs: [{ id: "p-1", afterMs: 100, stages: [{ tasks: 2, durationMs: 60_000 }] }] },
  ],
  faults: [],
  expect: { allJobsSucceed: false },
};

function probeInput(label: string): Input {
  if (label.startsWith("command:")) return { type: "command", command: { kind: label.slice("command:".length) } as Command };
  if ((INPUT_INDEX.get(label) ?? 0) < MESSAGE_TYPES.length)
    return { type: "message", from: "probe" as never, message: { type: label } as never };
  return { type: label } as Input;
}

/** Whether a role's dispatch turns the input away as not for it (its `unexpected-*` and `unsupported-command` reasons). */
function rejects(role: AnyRole, state: unknown, input: Input): boolean {
  let effects: Effect[];
  try {
    effects = role.step(structuredClone(state), input, { now: 0 });
  } catch {
    return false; // the input reached a handler, which choked on the probe's empty fields
  }
  return effects.some(
    (e) =>
      e.type === "log" &&
      e.event === "ignored" &&
      /^(unexpected-(message|input|command)|unsupported-command)$/.test(String(e.fields["why"])),
  );
}

export interface CoverageTable {
  /** Per role: its phases and the input labels its dispatch handles; cells known = their product. */
  roles: Record<CoveredRole, { phases: readonly string[]; inputs: string[]; cells: number[] }>;
}

let table: CoverageTable | null = null;

/** The cells known per role (computed once per process; deterministic). */
export function knownCells(roles: RoleSet): CoverageTable {
  if (table !== null) return table;
  const run = new ClusterRun(parseScenario(PROBE_SCENARIO), roles, { timelineLimit: 0, untilMs: 10_000 });
  run.run();
  const out = {} as CoverageTable["roles"];
  COVERED_ROLES.forEach((name, r) => {
    const node = run.world.nodes.find((n) => n.kind === name && n.alive);
    if (node === undefined) throw new Error(`coverage probe: no live ${name} to probe`);
    const inputs = INPUT_LABELS.filter((l) => !rejects(roles[name], node.state, probeInput(l)));
    const cells: number[] = [];
    PHASES[name].forEach((_, p) => {
      for (const l of inputs) cells.push(cellOf(r, p, INPUT_INDEX.get(l)!));
    });
    out[name] = { phases: PHASES[name], inputs, cells };
  });
  table = { roles: out };
  return table;
}

/** Per role: cells reached of cells known, and the known cells never reached. */
export interface CoverageSummary {
  roles: Record<CoveredRole, { reached: number; known: number; never: string[] }>;
  branches: number;
}

export function summarize(known: CoverageTable, reached: ReadonlySet<number>, branches: ReadonlySet<string>): CoverageSummary {
  const roles = {} as CoverageSummary["roles"];
  for (const name of COVERED_ROLES) {
    const cells = known.roles[name].cells;
    const never = cells.filter((c) => !reached.has(c)).map(cellName);
    roles[name] = { reached: cells.length - never.length, known: cells.length, never };
  }
  return { roles, branches: branches.size };
}
