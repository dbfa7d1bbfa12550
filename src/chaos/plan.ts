/**
 * What of a scenario `flint chaos` can do on real processes, decided before anything starts: a
 * fault, a workload feature or a cluster shape that processes on this machine cannot reproduce is
 * refused with its place in the file and the reason, never skipped. Expectations that cannot be
 * judged from the journals are listed so the run prints them as "not checked on real processes".
 */
import type { EventExpectation, FaultSpec, Scenario } from "../sim/scenario.js";

/** Why the scenario cannot run as it is (one line each, naming the field), empty when it can. */
export function refusals(scenario: Scenario, options: { canPartition: string | undefined; zooKeeper: string | undefined }): string[] {
  const out: string[] = [];
  scenario.faults.forEach((f, i) => {
    const why = faultRefusal(f, options.canPartition);
    if (why !== undefined) out.push(`faults[${i}] (${f.kind}${f.target !== undefined ? ` ${f.target}` : ""}): ${why}`);
  });
  if (scenario.randomFaults !== null)
    out.push("randomFaults: random faults are drawn by the simulator's seeded generator; list them as faults for real processes");
  if (scenario.drivers.length > 0) out.push("drivers: cluster-mode drivers are not run by flint chaos yet (use apps: client-mode drivers)");
  if (scenario.store !== undefined) out.push("store: a pre-filled recovery store cannot be written for real masters");
  if (scenario.cluster.recoveryMode === "zookeeper" && scenario.faults.some((f) => f.kind === "partition"))
    out.push(
      "cluster.recoveryMode zookeeper: ZooKeeper runs outside the nodes' network namespaces; a partition scenario needs filesystem or none",
    );
  if (scenario.cluster.recoveryMode === "zookeeper" && options.zooKeeper !== undefined)
    out.push(`cluster.recoveryMode zookeeper: ZooKeeper cannot be started here (${options.zooKeeper})`);
  if (scenario.cluster.masters > 1 && scenario.cluster.recoveryMode !== "zookeeper")
    out.push(`cluster.masters ${scenario.cluster.masters}: several masters need recoveryMode zookeeper to elect the leader`);
  scenario.apps.forEach((a, i) => {
    if (a.executorExit !== undefined) out.push(`apps[${i}].executorExit: executors of a real app cannot be told to exit on their own`);
    if (a.executorLaunchError !== undefined)
      out.push(`apps[${i}].executorLaunchError: a real worker's executor launch cannot be made to fail`);
    a.jobs.forEach((j, k) => {
      j.stages.forEach((s, n) => {
        if (s.cpusPerTask !== undefined)
          out.push(`apps[${i}].jobs[${k}].stages[${n}].cpusPerTask: a real driver's jobs take the config's taskCpus per task`);
      });
    });
  });
  return out;
}

function faultRefusal(f: FaultSpec, canPartition: string | undefined): string | undefined {
  switch (f.kind) {
    case "crash":
    case "restart":
    case "pause": {
      const t = f.target ?? "";
      if (t === "leader" || /^master-\d+$/.test(t) || /^worker-\d+$/.test(t)) return undefined;
      if (t.startsWith("executor:") && f.kind === "crash")
        return f.restartAfterMs === undefined ? undefined : "an executor is not restarted (its master launches a replacement)";
      if (t.startsWith("executor:")) return "only a crash (kill -9) of an executor is done on real processes";
      if (t.startsWith("app:") && f.kind !== "restart") return undefined;
      return `the target ${JSON.stringify(t)} cannot be ${f.kind === "pause" ? "paused" : f.kind === "crash" ? "crashed" : "restarted"} on real processes`;
    }
    case "partition":
      if (canPartition !== undefined) return `a partition needs network namespaces: ${canPartition}`;
      if (f.others !== undefined || f.oneWay)
        return "only a partition of hosts from every other node is done on real processes (no others, no oneWay): a node's link is cut";
      return undefined;
    case "messages":
      return "dropping, delaying or duplicating chosen messages needs the simulated network; on real processes use crash or pause";
    case "storeDown":
      return "the recovery store cannot be made unavailable to real masters";
    case "failTasks":
      return undefined;
    case "loseTasks":
      return "a real worker cannot be told to lose chosen tasks (crash an executor instead)";
    case "inject":
    case "forge":
      return "messages cannot be injected into a real cluster";
    case "requestExecutors":
    case "killExecutors":
    case "cancelJob":
    case "killTask":
      return "driver actions are not sent to a real driver by flint chaos";
    case "killDriver":
    case "driverStatus":
      return "flint chaos runs no cluster-mode driver";
    default: {
      const never: never = f.kind;
      return `unknown fault kind ${String(never)}`;
    }
  }
}

/** Why an event expectation cannot be judged from the journals, or undefined when it can. */
export function uncheckable(x: EventExpectation): string | undefined {
  if (x.atMs !== undefined) return "an exact time cannot be met by real processes";
  if (x.node.startsWith("driver:")) return "cluster-mode drivers are not run";
  return undefined;
}
