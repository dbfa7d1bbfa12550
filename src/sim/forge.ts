/**
 * The `forge` fault: a node that holds the cluster's secret (a worker, a driver) sends a message
 * it has no authority to send, such as a worker ordering another worker to launch an executor or
 * to delete an application's directories. The message is built from what the simulation knows
 * now (the victim's active master URL, a live application's id and driver, a running executor),
 * so a reducer that refuses it refuses it for its sender, not for a made-up id. The roles must
 * ignore it (src/protocol/<role>/authority.ts); a worker that obeyed it would break I16
 * (orders from the current master only).
 */
import { copyPlain } from "../protocol/copy.js";
import type { DriverId } from "../protocol/ids.js";
import type { MasterState } from "../protocol/master/index.js";
import type { Message } from "../protocol/messages.js";
import type { WorkerState } from "../protocol/worker/state.js";
import type { SimNode } from "./world.js";

/** The messages a `forge` fault can send: a master's orders to a worker. */
export const FORGED_MESSAGE_TYPES = ["LaunchExecutor", "KillExecutor", "LaunchDriver", "KillDriver", "ApplicationFinished"] as const;
export type ForgedMessageType = (typeof FORGED_MESSAGE_TYPES)[number];

/** Executor numbers of forged launches start here, far above any a master hands out in a run. */
const FORGED_EXEC_ID_BASE = 100_000;

export interface Forged {
  to: SimNode;
  message: Message;
}

/** The live ALIVE master's state, if there is one (where the real ids come from). */
function aliveMaster(nodes: readonly SimNode[]): MasterState | null {
  for (const n of nodes) {
    if (n.alive && n.kind === "master" && (n.state as MasterState).recoveryState === "ALIVE") return n.state as MasterState;
  }
  return null;
}

/** Registered live workers other than the forger, in node order; `victim` narrows to one. */
function victims(nodes: readonly SimNode[], forger: SimNode, victim: string | null): Array<{ node: SimNode; s: WorkerState }> {
  const out: Array<{ node: SimNode; s: WorkerState }> = [];
  for (const n of nodes) {
    if (!n.alive || n.kind !== "worker" || n === forger || (victim !== null && n.name !== victim)) continue;
    const s = n.state as WorkerState;
    if (s.activeMasterUrl !== null) out.push({ node: n, s });
  }
  return out;
}

/**
 * Builds the forged message of `type` from `forger` to a worker (`victim`, or the first one that
 * fits), or says why none can be built now (no registered worker, no application, ...).
 */
export function forgeMessage(
  nodes: readonly SimNode[],
  forger: SimNode,
  type: ForgedMessageType,
  victim: string | null = null,
): Forged | string {
  const workers = victims(nodes, forger, victim);
  if (workers.length === 0) return `no registered worker${victim === null ? "" : ` ${victim}`} to send a forged ${type} to`;
  const master = aliveMaster(nodes);
  const apps = master === null ? [] : Object.values(master.apps);
  switch (type) {
    case "LaunchExecutor": {
      const app = apps[0];
      if (app === undefined) return "no application to forge an executor for";
      const { node, s } = workers[0]!;
      const message: Message = {
        type: "LaunchExecutor",
        masterUrl: s.activeMasterUrl!,
        appId: app.id,
        execId: FORGED_EXEC_ID_BASE + app.nextExecutorId,
        appDesc: copyPlain(app.desc),
        driverAddress: app.driverAddress,
        cores: 1,
        memoryMb: app.desc.memoryPerExecutorMb,
      };
      return { to: node, message };
    }
    case "KillExecutor":
    case "ApplicationFinished": {
      for (const { node, s } of workers) {
        const runner = Object.values(s.executors).find((r) => !r.killed);
        if (runner === undefined) continue;
        const message: Message =
          type === "KillExecutor"
            ? { type: "KillExecutor", masterUrl: s.activeMasterUrl!, appId: runner.appId, execId: runner.execId }
            : { type: "ApplicationFinished", appId: runner.appId };
        return { to: node, message };
      }
      const app = apps[0];
      if (type === "ApplicationFinished" && app !== undefined)
        return { to: workers[0]!.node, message: { type: "ApplicationFinished", appId: app.id } };
      return `no running executor on a worker to forge a ${type} for`;
    }
    case "LaunchDriver": {
      const known = master === null ? undefined : Object.values(master.drivers)[0];
      const desc = known === undefined ? { cores: 1, memoryMb: 1, supervise: false, command: {} } : copyPlain(known.desc);
      const driverId = `driver-forged-by-${forger.name}` as DriverId;
      return { to: workers[0]!.node, message: { type: "LaunchDriver", driverId, desc } };
    }
    case "KillDriver": {
      for (const { node, s } of workers) {
        const runner = Object.values(s.drivers).find((r) => !r.killed);
        if (runner !== undefined) return { to: node, message: { type: "KillDriver", driverId: runner.driverId } };
      }
      return "no running driver on a worker to forge a KillDriver for";
    }
  }
}
