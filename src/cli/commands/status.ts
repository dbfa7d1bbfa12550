/** `flint status --master URL`: the master's workers, applications, executors and drivers. */
import { parseAddress } from "../../real/address.js";
import type { ClusterStatus } from "../../real/cluster/snapshot.js";
import { requestStatus } from "../../real/cluster/status.js";
import { integerOption, mastersOption, parseOptions, secretOption, UsageError, withUsage } from "./cluster-options.js";

export const summary = "show a master's workers, applications, executors and drivers";

const USAGE = `Usage: flint status --master flint://host:port [options]

Asks the master's status channel (its port + 1 unless --status-port) for its state and prints it
as tables.

Options:
  --master URL        the master (required)
  --status-port P     the master's status port (default: the master's port + 1)
  --secret-file F     the cluster's shared secret
  --json              print the raw status as JSON
  -h, --help          this help`;

export async function run(argv: string[]): Promise<number> {
  return withUsage("status", USAGE, async () => {
    const parsed = parseOptions(argv, { values: ["master", "status-port", "secret-file"], flags: ["json"] });
    if (parsed.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}'`);
    const master = mastersOption(parsed.values["master"], "--master")[0]!;
    const { host, port } = parseAddress(master);
    const statusPort = integerOption(parsed, "status-port", port + 1, 1, 65535);
    const secret = secretOption(parsed);
    let status: ClusterStatus;
    try {
      status = (await requestStatus({ host, port: statusPort }, secret !== undefined ? { secret } : {})) as ClusterStatus;
    } catch (err) {
      process.stderr.write(`flint status: ${(err as Error).message}\n`);
      return 1;
    }
    process.stdout.write(parsed.flags.has("json") ? JSON.stringify(status, null, 2) + "\n" : formatStatus(status));
    return 0;
  });
}

export function formatStatus(s: ClusterStatus): string {
  const out: string[] = [`Master ${s.address} (${s.recoveryState})`, ""];
  out.push(`Workers (${s.workers.length})`);
  out.push(table(["ID", "ADDRESS", "STATE", "CORES", "MEMORY", "EXECUTORS", "LAST HEARTBEAT"], s.workers.map((w) => [w.id, w.address, w.state, `${w.coresUsed}/${w.cores}`, `${w.memoryUsed}/${w.memoryMb} MiB`, String(w.executors), `${(w.lastHeartbeatAgoMs / 1000).toFixed(1)} s ago`])));
  out.push("", `Applications (${s.apps.length} running, ${s.completedApps.length} completed)`);
  const apps = [...s.apps.map((a) => [a.id, a.name, a.state, String(a.coresGranted), a.maxCores === null ? "-" : String(a.maxCores), a.driverAddress]), ...s.completedApps.map((a) => [a.id, a.name, a.state, "-", "-", "-"])];
  out.push(table(["ID", "NAME", "STATE", "CORES", "MAX CORES", "DRIVER"], apps));
  const executors = s.apps.flatMap((a) => a.executors.map((e) => [`${a.id}/${e.id}`, e.workerId, e.state, String(e.cores), `${e.memoryMb} MiB`]));
  out.push("", `Executors (${executors.length})`);
  out.push(table(["ID", "WORKER", "STATE", "CORES", "MEMORY"], executors));
  out.push("", `Drivers (${s.drivers.length} active, ${s.completedDrivers.length} completed)`);
  const drivers = [...s.drivers.map((d) => [d.id, d.state, d.workerId ?? "-", String(d.cores), d.supervise ? "yes" : "no"]), ...s.completedDrivers.map((d) => [d.id, d.state, "-", "-", "-"])];
  out.push(table(["ID", "STATE", "WORKER", "CORES", "SUPERVISE"], drivers));
  return out.join("\n") + "\n";
}

function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return "  (none)";
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => "  " + cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
