/**
 * The driver's core bookkeeping, judged from the history it stepped on rather than from its own
 * counters (docs/protocol.md §6, D1-D2):
 *
 * D1 `backend-agrees-with-registrations`: the DriverEndpoint's executors are exactly those it
 * accepted (a RegisterExecutor answered with RegisteredExecutor) and has not reported removed,
 * each with the cores and address it registered with; totalCoreCount and totalRegisteredExecutors
 * are their sum and count; a registration is refused exactly when its id is already registered
 * (or the executor limit is reached), and its refusal says which ("Duplicate executor ID" or not).
 * Checked on the steps that register or remove an executor (O(executors) then, nothing otherwise).
 *
 * D2 `free-cores-conserved`: once an executor is built (LaunchedExecutor), its free cores are its
 * cores minus the CPUs of the tasks it holds: the attempts the scheduler still tracks there that
 * were sent to it, and those a LOST update took out of the scheduler while they still run there.
 * Before, it has none. Checked for each executor the step names (the StatusUpdate's, the
 * registration's, every LaunchTask's): O(its cores).
 */
import type { Effect, Input } from "../../protocol/index.js";
import { MAX_EXECUTORS, type DriverRoleState } from "../../protocol/driver/state.js";
import type { TidLedger } from "./dense.js";
import type { Report } from "./report.js";

/** How the refusal of a RegisterExecutor under a registered id begins (Spark's RegisterExecutorFailed). */
const DUPLICATE_REFUSAL = "Duplicate executor ID";

/** What D1 and D2 remember about one driver incarnation. */
export interface DriverCoresLedger {
  /** The executors the driver accepted and has not reported removed: their registered cores and address. */
  registered: Map<string, { cores: number; address: string }>;
  /** The CPUs each attempt of a task set takes, from the LaunchTasks it sent (a TID's task set may leave the pool while its CPUs are held). */
  cpusByTaskSet: Map<string, number>;
}

export const newDriverCoresLedger = (): DriverCoresLedger => ({ registered: new Map(), cpusByTaskSet: new Map() });

/** D1 and D2 for one driver step (after the step; `tids` already holds the step's launches). */
export function checkDriverCores(
  name: string,
  s: DriverRoleState,
  tids: TidLedger,
  led: DriverCoresLedger,
  input: Input | null,
  effects: readonly Effect[],
  report: Report,
): void {
  let changed = false;
  let touched: string | null = null;
  if (input !== null && input.type === "message") {
    const m = input.message;
    if (m.type === "RegisterExecutor") {
      touched = m.executorId;
      const accepted = effects.some((e) => e.type === "send" && e.to === input.from && e.message.type === "RegisteredExecutor");
      let refusal: string | null = null;
      for (const e of effects)
        if (e.type === "send" && e.to === input.from && e.message.type === "RegisterExecutorFailed") refusal = e.message.message;
      const refused = refusal !== null;
      const duplicate = led.registered.has(m.executorId);
      // The refusal names its real cause: the executor (and its operator) act on it.
      if (refusal !== null && refusal.startsWith(DUPLICATE_REFUSAL) !== duplicate)
        report(
          "D1:backend-agrees-with-registrations",
          `${name} refused executor ${m.executorId} with "${refusal}", but its id is ${duplicate ? "" : "not "}registered`,
          [input.from],
        );
      if (accepted && duplicate)
        report("D1:backend-agrees-with-registrations", `${name} accepted executor ${m.executorId} again while it is registered`, [
          input.from,
        ]);
      if (refused && !duplicate && led.registered.size < MAX_EXECUTORS)
        report("D1:backend-agrees-with-registrations", `${name} refused executor ${m.executorId}, whose id is not registered`, [
          input.from,
        ]);
      if (accepted && !duplicate) {
        led.registered.set(m.executorId, { cores: m.cores, address: m.executorAddress });
        changed = true;
      }
    } else if (m.type === "StatusUpdate" || m.type === "LaunchedExecutor") touched = m.executorId;
  }
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type === "notify" && e.notification.kind === "executorRemoved") {
      changed = led.registered.delete(e.notification.executorId) || changed;
    } else if (e.type === "send" && e.message.type === "LaunchTask") {
      const task = e.message.task;
      if (!led.cpusByTaskSet.has(task.taskSetId)) led.cpusByTaskSet.set(task.taskSetId, task.cpus);
    }
  }
  if (changed) checkRegistry(name, s, led, report);
  if (touched !== null) checkFreeCoresConserved(name, s, tids, led, touched, report);
  let last = touched;
  for (let i = 0; i < effects.length; i++) {
    const e = effects[i]!;
    if (e.type !== "send" || e.message.type !== "LaunchTask" || e.message.task.executorId === last) continue;
    last = e.message.task.executorId;
    checkFreeCoresConserved(name, s, tids, led, last, report);
  }
}

/** D1: the backend's executors and totals against the registrations and removals seen. */
export function checkRegistry(name: string, s: DriverRoleState, led: DriverCoresLedger, report: Report): void {
  const b = s.backend;
  const check = "D1:backend-agrees-with-registrations";
  let cores = 0;
  for (const [executorId, r] of led.registered) {
    cores += r.cores;
    const e = b.executors[executorId];
    if (e === undefined) report(check, `${name} registered executor ${executorId} and never reported it removed, but no longer holds it`);
    else if (e.totalCores !== r.cores || e.address !== r.address)
      report(
        check,
        `${name} holds executor ${executorId} with ${e.totalCores} cores at ${e.address}, but it registered ${r.cores} at ${r.address}`,
      );
  }
  for (const executorId in b.executors)
    if (!led.registered.has(executorId))
      report(check, `${name} holds executor ${executorId}, which it never accepted or already reported removed`);
  if (b.totalCoreCount !== cores) report(check, `${name} counts ${b.totalCoreCount} cores, but its registered executors have ${cores}`);
  if (b.totalRegisteredExecutors !== led.registered.size)
    report(check, `${name} counts ${b.totalRegisteredExecutors} executors, but ${led.registered.size} are registered`);
}

/** D2 for one executor (see the module's comment). */
export function checkFreeCoresConserved(
  name: string,
  s: DriverRoleState,
  tids: TidLedger,
  led: DriverCoresLedger,
  executorId: string,
  report: Report,
): void {
  const e = s.backend.executors[executorId];
  if (e === undefined) return;
  const check = "D2:free-cores-conserved";
  if (!e.launched) {
    if (e.freeCores !== 0)
      report(check, `${name}: executor ${executorId} has ${e.freeCores} free cores before LaunchedExecutor`, [e.address]);
    return;
  }
  let held = 0;
  // A TID the scheduler tracks but never sent (an oversized task, aborted before sending) holds no CPUs.
  for (const taskId of s.scheduler.executorIdToRunningTaskIds[executorId] ?? [])
    if (tids.executorOf(taskId) === executorId) held += cpusOf(tids, led, taskId);
  for (const taskId of s.backend.lostExecutorTaskIds[executorId] ?? []) held += cpusOf(tids, led, taskId);
  if (e.freeCores !== e.totalCores - held)
    report(
      check,
      `${name}: executor ${executorId} has ${e.freeCores} free cores, but ${e.totalCores} cores minus the ${held} its tasks hold is ${e.totalCores - held}`,
      [e.address],
    );
}

function cpusOf(tids: TidLedger, led: DriverCoresLedger, taskId: number): number {
  const taskSetId = tids.taskSetOf(taskId);
  return taskSetId === undefined ? 0 : (led.cpusByTaskSet.get(taskSetId) ?? 0);
}
