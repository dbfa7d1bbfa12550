/** The master's web page (Spark's port 8080): workers, applications, executors, drivers, recovery state. */
import type { Registry } from "prom-client";
import type { MasterState } from "../../protocol/master/index.js";
import { masterSnapshot, type ClusterStatus } from "../snapshot.js";
import { clockTime, escapeHtml, section, seconds, table } from "./html.js";
import type { WebSite } from "./server.js";

export function masterSite(state: () => MasterState, registry: Registry): WebSite {
  const snapshot = (): ClusterStatus => masterSnapshot(state(), Date.now());
  return {
    title: `flint master ${state().address}`,
    registry,
    api: { status: snapshot },
    render: () => renderMaster(snapshot()),
  };
}

export function renderMaster(s: ClusterStatus): string {
  const alive = s.workers.filter((w) => w.state === "ALIVE");
  const cores = alive.reduce((n, w) => n + w.cores, 0);
  const coresUsed = alive.reduce((n, w) => n + w.coresUsed, 0);
  const memory = alive.reduce((n, w) => n + w.memoryMb, 0);
  const memoryUsed = alive.reduce((n, w) => n + w.memoryUsed, 0);
  const summary = `<ul id="summary">
<li>Address: ${escapeHtml(s.address)}</li>
<li>Status: <span id="recovery-state">${escapeHtml(s.recoveryState)}</span></li>
<li>Alive workers: ${alive.length} of ${s.workers.length}</li>
<li>Cores in use: ${coresUsed} of ${cores}</li>
<li>Memory in use: ${memoryUsed} of ${memory} MiB</li>
<li>Applications: ${s.apps.length} running, ${s.completedApps.length} completed</li>
<li>Drivers: ${s.drivers.length} active, ${s.completedDrivers.length} completed</li>
</ul>`;
  const workers = table(
    "workers",
    ["Worker", "Address", "State", "Cores", "Memory", "Executors", "Drivers", "Last heartbeat"],
    s.workers.map((w) => [
      w.id,
      w.address,
      w.state,
      `${w.coresUsed} / ${w.cores}`,
      `${w.memoryUsed} / ${w.memoryMb} MiB`,
      w.executors,
      w.drivers,
      `${seconds(w.lastHeartbeatAgoMs)} ago`,
    ]),
  );
  const apps = table(
    "apps",
    ["Application", "Name", "State", "Cores", "Max cores", "Executors", "Submitted", "Duration", "Driver"],
    s.apps.map((a) => [
      a.id,
      a.name,
      a.state,
      a.coresGranted,
      a.maxCores ?? "-",
      a.executors.length,
      clockTime(a.startTimeMs),
      seconds(a.durationMs),
      a.driverAddress,
    ]),
  );
  const executors = table(
    "executors",
    ["Executor", "Worker", "State", "Cores", "Memory"],
    s.apps.flatMap((a) => a.executors.map((e) => [`${a.id}/${e.id}`, e.workerId, e.state, e.cores, `${e.memoryMb} MiB`])),
  );
  const drivers = table(
    "drivers",
    ["Driver", "State", "Worker", "Cores", "Memory", "Supervise", "Submitted"],
    s.drivers.map((d) => [
      d.id,
      d.state,
      d.workerId ?? "-",
      d.cores,
      `${d.memoryMb} MiB`,
      d.supervise ? "yes" : "no",
      clockTime(d.startTimeMs),
    ]),
  );
  const completedApps = table(
    "completed-apps",
    ["Application", "Name", "State", "Submitted", "Ended", "Duration", "Ran on"],
    [...s.completedApps]
      .reverse()
      .map((a) => [
        a.id,
        a.name,
        a.state,
        clockTime(a.startTimeMs),
        clockTime(a.endTimeMs),
        seconds(a.durationMs),
        a.workerIds.join(", ") || "-",
      ]),
  );
  const completedDrivers = table(
    "completed-drivers",
    ["Driver", "State", "Worker", "Submitted", "Ended", "Duration", "Exception"],
    [...s.completedDrivers]
      .reverse()
      .map((d) => [
        d.id,
        d.state,
        d.workerId ?? "-",
        clockTime(d.startTimeMs),
        clockTime(d.endTimeMs),
        seconds(d.durationMs),
        d.exception ?? "",
      ]),
  );
  return [
    summary,
    section("Workers", workers),
    section("Running applications", apps),
    section("Executors", executors),
    section("Drivers", drivers),
    section("Completed applications", completedApps),
    section("Completed drivers", completedDrivers),
  ].join("\n");
}
