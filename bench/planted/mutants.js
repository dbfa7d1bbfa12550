// Planted bugs (issue 16, "How we will know"): for each cause of bugs the fuzzer misses, a bug of
// that kind, as small source patches of the BUILT JavaScript (and, for one cause, of a shipped
// scenario). bench/planted/harness.js applies each to a temporary copy of dist/ and scenarios/
// and runs the fuzzer from that copy. A patch's `search` must occur exactly once in its file: a
// source change that moves the code makes the mutant "stale", never silently a no-op.
// `witness`: a scenario (path in the copy) that `flint sim` fails with the bug and passes
// without, to show the planted bug is live; null when no scenario takes the path (cause a).
//
// Causes:
//  a  code the simulator never ran
//  b  a worker that keeps its old master after failover (liveness is not judged when the leader
//     has no live worker)
//  c  a scenario's own expectation (timing checked only by the worker-gives-up scenario)
//  d  a cross-role mismatch (a killed task never reported)
//  e  a documented-weakness excuse hiding a hang
//  f  a scenario check that cannot fail
export const CAUSES = {
  a: "code the simulator never ran",
  b: "worker keeps its old master after failover (no liveness judgement when the leader has no live worker)",
  c: "only a scenario's own expectation checks it (timing)",
  d: "cross-role mismatch",
  e: "a weakness excuse hides a hang",
  f: "a scenario check that cannot fail",
};

export const MUTANTS = [
  {
    name: "placement-ignores-memory",
    witness: "bench/planted/witnesses/memory-bound-placement.json",
    cause: "a",
    what: "the master's executor placement no longer checks a worker's free memory for a second executor on it",
    patches: [
      {
        file: "dist/protocol/master/schedule.js",
        search: "const enoughMemory = w.memoryFree - assignedExecs[i] * req.memoryPerExecutorMb >= req.memoryPerExecutorMb;",
        replace: "const enoughMemory = true;",
      },
    ],
  },
  {
    name: "driver-kill-executors-forces",
    witness: null,
    cause: "a",
    what: "the driver's killExecutors action kills busy executors too (SPARK-9552 back): a driver action path scenarios never take",
    patches: [
      {
        file: "dist/protocol/driver/index.js",
        search: "killExecutors(d, command.executorIds, true, false, false);",
        replace: "killExecutors(d, command.executorIds, true, false, true);",
      },
    ],
  },
  {
    name: "worker-keeps-old-master",
    witness: "scenarios/master-failover.json",
    cause: "b",
    what: "on MasterChanged the worker answers the new leader but keeps heartbeating (and taking launches from) the old one",
    patches: [
      {
        file: "dist/protocol/worker/registration.js",
        search: "    changeMaster(s, m.masterAddress, m.masterAddress, fx);\n    fx.push(send(m.masterAddress, {",
        replace: "    fx.push(send(m.masterAddress, {",
      },
    ],
  },
  {
    name: "worker-never-gives-up",
    witness: "scenarios/worker-gives-up.json",
    cause: "c",
    what: "a worker that cannot register retries four times as long before it gives up",
    patches: [
      {
        file: "dist/protocol/worker/registration.js",
        search: "if (s.connectionAttemptCount > s.protocol.totalRegistrationRetries) {",
        replace: "if (s.connectionAttemptCount > s.protocol.totalRegistrationRetries * 4) {",
      },
    ],
  },
  {
    name: "killed-task-never-reported",
    witness: null,
    cause: "d",
    // task-retry-abort takes this path (its aborted task set kills 7 running attempts) and still
    // passes: the driver's ledger keeps the killed attempts running, and no check compares it
    // with the executors' (hence no witness).
    what: "an executor whose task was killed drops it without the KILLED StatusUpdate to the driver",
    patches: [
      {
        file: "dist/protocol/executor/tasks.js",
        search:
          '        case "killed":\n            statusUpdate(s, taskId, "KILLED", { kind: "failure", failure: failureData(outcome) }, cpus, fx);',
        replace: '        case "killed":',
      },
    ],
  },
  {
    name: "worker-drops-multicore-launches",
    witness: "scenarios/lost-tasks.json",
    cause: "e",
    what: "a worker silently drops every LaunchExecutor asking for more than one core: the app's executors stay LAUNCHING for ever, which liveness excuses as §7.19",
    patches: [
      {
        file: "dist/protocol/worker/executors.js",
        search: "export function onLaunchExecutor(s, m, fx) {\n    if (m.masterUrl !== s.activeMasterUrl) {",
        replace: "export function onLaunchExecutor(s, m, fx) {\n    if (m.masterUrl !== s.activeMasterUrl || m.cores > 1) {",
      },
    ],
  },
  {
    name: "short-worker-timeout-vacuous-check",
    witness: "scenarios/heartbeat-timeout.json",
    cause: "f",
    what: "the master times workers out after 24 s instead of 60 s (removing workers on short partitions); partition-heal's check that no worker is removed names a log event that never exists, so it cannot fail",
    patches: [
      {
        file: "dist/protocol/master/handlers.js",
        search: "if (w.lastHeartbeatMs >= m.now - timeoutMs)\n",
        replace: "if (w.lastHeartbeatMs >= m.now - timeoutMs * 0.4)\n",
      },
      {
        file: "scenarios/partition-heal.json",
        search: '"effect": "log:workerRemoved", "absent": true',
        replace: '"effect": "log:workerRemove", "absent": true',
      },
    ],
  },
];
