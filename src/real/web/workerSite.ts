/**
 * A worker's web page (Spark's port 8081): its executors and drivers, running and finished, with
 * links to their logs, which it serves from its work directory (the last bytes of a file).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { WorkerState } from "../../protocol/worker/index.js";
import { pathInside } from "../paths.js";
import { escapeHtml, link, section, table } from "./html.js";
import { send, type WebSite } from "./server.js";

/** Files of a work directory the pages link to and serve; nothing else in it is served. */
export const LOG_FILES = ["stdout", "stderr", "executor.log"] as const;
/** Bytes served from the end of a log unless ?bytes= asks for fewer or more (at most MAX). */
const DEFAULT_LOG_BYTES = 1024 * 1024;
const MAX_LOG_BYTES = 16 * 1024 * 1024;

export interface WorkerPageModel {
  workerId: string;
  address: string;
  master: string | null;
  registered: boolean;
  cores: number;
  coresUsed: number;
  memoryMb: number;
  memoryUsed: number;
  executors: Array<{ appId: string; execId: number; cores: number; memoryMb: number; state: string; logs: string }>;
  finishedExecutors: Array<{
    appId: string;
    execId: number;
    cores: number;
    memoryMb: number;
    state: string;
    message: string | null;
    exitStatus: number | null;
    logs: string;
  }>;
  drivers: Array<{ driverId: string; phase: string; cores: number; memoryMb: number; logs: string }>;
  finishedDrivers: Array<{ driverId: string; state: string; exception: string | null; logs: string }>;
}

export function workerModel(s: WorkerState): WorkerPageModel {
  return {
    workerId: s.workerId,
    address: s.address,
    master: s.activeMasterUrl,
    registered: s.registered,
    cores: s.cores,
    coresUsed: s.coresUsed,
    memoryMb: s.memoryMb,
    memoryUsed: s.memoryUsed,
    executors: Object.values(s.executors).map((e) => ({
      appId: e.appId,
      execId: e.execId,
      cores: e.cores,
      memoryMb: e.memoryMb,
      state: e.state,
      logs: `/logs/${e.appId}/${e.execId}/`,
    })),
    finishedExecutors: [...s.finishedExecutors].reverse().map((e) => ({
      appId: e.appId,
      execId: e.execId,
      cores: e.cores,
      memoryMb: e.memoryMb,
      state: e.state,
      message: e.message ?? null,
      exitStatus: e.exitStatus ?? null,
      logs: `/logs/${e.appId}/${e.execId}/`,
    })),
    drivers: Object.values(s.drivers).map((d) => ({
      driverId: d.driverId,
      phase: d.phase,
      cores: d.desc.cores,
      memoryMb: d.desc.memoryMb,
      logs: `/logs/${d.driverId}/`,
    })),
    finishedDrivers: [...s.finishedDrivers]
      .reverse()
      .map((d) => ({ driverId: d.driverId, state: d.state, exception: d.exception ?? null, logs: `/logs/${d.driverId}/` })),
  };
}

const logLinks = (base: string, files: readonly string[]) => ({ html: files.map((f) => link(`${base}${f}`, f).html).join(" ") });

export function renderWorker(m: WorkerPageModel): string {
  const summary = `<ul id="summary">
<li>Worker: ${escapeHtml(m.workerId)} (${escapeHtml(m.address)})</li>
<li>Master: ${escapeHtml(m.master ?? "none yet")} (${m.registered ? "registered" : "not registered"})</li>
<li>Cores in use: ${m.coresUsed} of ${m.cores}</li>
<li>Memory in use: ${m.memoryUsed} of ${m.memoryMb} MiB</li>
</ul>`;
  const execFiles = LOG_FILES;
  const driverFiles = ["stdout", "stderr"];
  return [
    summary,
    section(
      "Running executors",
      table(
        "executors",
        ["Application", "Executor", "State", "Cores", "Memory", "Logs"],
        m.executors.map((e) => [e.appId, e.execId, e.state, e.cores, `${e.memoryMb} MiB`, logLinks(e.logs, execFiles)]),
      ),
    ),
    section(
      "Running drivers",
      table(
        "drivers",
        ["Driver", "Phase", "Cores", "Memory", "Logs"],
        m.drivers.map((d) => [d.driverId, d.phase, d.cores, `${d.memoryMb} MiB`, logLinks(d.logs, driverFiles)]),
      ),
    ),
    section(
      "Finished executors",
      table(
        "finished-executors",
        ["Application", "Executor", "State", "Exit", "Message", "Logs"],
        m.finishedExecutors.map((e) => [e.appId, e.execId, e.state, e.exitStatus ?? "-", e.message ?? "", logLinks(e.logs, execFiles)]),
      ),
    ),
    section(
      "Finished drivers",
      table(
        "finished-drivers",
        ["Driver", "State", "Exception", "Logs"],
        m.finishedDrivers.map((d) => [d.driverId, d.state, d.exception ?? "", logLinks(d.logs, driverFiles)]),
      ),
    ),
  ].join("\n");
}

export function workerSite(state: () => WorkerState, workDir: string, registry: Registry): WebSite {
  return {
    title: `flint worker ${state().workerId}`,
    registry,
    api: { worker: () => workerModel(state()) },
    render: () => renderWorker(workerModel(state())),
    serve: (path, query, res) => serveLog(workDir, path, query, res),
  };
}

/** GET /logs/<app>/<exec>/<file> or /logs/<driver>/<file>: the end of that file, as plain text. */
export function serveLog(workDir: string, path: string, query: URLSearchParams, res: ServerResponse): boolean {
  if (!path.startsWith("/logs/")) return false;
  const parts = path
    .slice("/logs/".length)
    .split("/")
    .map((p) => decodeURIComponent(p));
  const file = parts.at(-1);
  if (
    parts.length < 2 ||
    parts.length > 3 ||
    file === undefined ||
    !(LOG_FILES as readonly string[]).includes(file) ||
    parts.some((p) => !/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/.test(p))
  ) {
    send(res, 404, "text/plain", "no such log\n");
    return true;
  }
  const target = pathInside(workDir, ...parts);
  if (target === undefined) {
    send(res, 404, "text/plain", "no such log\n");
    return true;
  }
  const asked = Number(query.get("bytes") ?? DEFAULT_LOG_BYTES);
  const limit = Number.isInteger(asked) && asked > 0 ? Math.min(asked, MAX_LOG_BYTES) : DEFAULT_LOG_BYTES;
  let fd: number;
  try {
    fd = openSync(target, "r");
  } catch {
    send(res, 404, "text/plain", "no such log (never written, or removed by the work directory cleanup)\n");
    return true;
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, limit);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    res.setHeader("X-Log-Size", String(size));
    send(
      res,
      200,
      "text/plain; charset=utf-8",
      (size > length ? `[... ${size - length} earlier bytes not shown; ?bytes=N]\n` : "") + buffer.toString("utf8"),
    );
  } finally {
    closeSync(fd);
  }
  return true;
}
