/** `flint status --master URL`: the master's workers, applications, executors and drivers. */
import { parseAddress } from "../../real/address.js";
import type { ClusterStatus } from "../../real/snapshot.js";
import { requestStatus } from "../../real/cluster/status.js";
import { defineCommand, runCommand, UsageError } from "../args.js";
import { mastersOption, secretOption } from "./cluster-options.js";
import { CONFIG_OPTION, withConfigFile } from "./config-options.js";

export const spec = defineCommand({
  name: "status",
  summary: "show a master's workers, applications, executors and drivers",
  usage: "--master flint://host:port[,host:port...] [options]",
  description: `Asks the master's status channel (its port + 1 unless --status-port) for its state and prints it
as tables. With several masters, asks each and shows the leader (ALIVE), then one line per other
master (STANDBY, RECOVERING, or why it did not answer).`,
  options: {
    master: { type: "string", value: "URL", help: "the master, or every master (required)" },
    "status-port": {
      type: "int",
      min: 1,
      max: 65535,
      value: "P",
      defaultHelp: "each master's port + 1",
      help: "the status port (only with one master)",
    },
    "secret-file": { type: "string", value: "F", help: "the cluster's shared secret" },
    json: { type: "boolean", help: "print the raw status as JSON" },
    config: CONFIG_OPTION,
  },
  exitCodes: [
    [0, "the status was printed"],
    [1, "no master answered (each one's reason is printed)"],
    [2, "bad usage (an unknown option, a bad value, no --master)"],
  ],
  environment: [],
});

export function run(argv: string[]): Promise<number> {
  return runCommand(
    spec,
    argv,
    async ({ options }) => {
      const masters = mastersOption(options.master, "--master");
      const statusPortOption = options["status-port"];
      if (masters.length > 1 && statusPortOption !== undefined)
        throw new UsageError("--status-port works with one master only (each master's status port is its port + 1)");
      const secret = secretOption(options["secret-file"]);
      type Answer = { master: string; status: ClusterStatus } | { master: string; error: string };
      const answers = await Promise.all(
        masters.map(async (master): Promise<Answer> => {
          const { host, port } = parseAddress(master);
          const statusPort = statusPortOption ?? port + 1;
          try {
            return {
              master,
              status: (await requestStatus({ host, port: statusPort }, secret !== undefined ? { secret } : {})) as ClusterStatus,
            };
          } catch (err) {
            return { master, error: (err as Error).message };
          }
        }),
      );
      const answered = answers.flatMap((a) => ("status" in a ? [a.status] : []));
      const shown = answered.find((s) => s.recoveryState === "ALIVE") ?? answered[0];
      if (shown === undefined) {
        for (const a of answers) if ("error" in a) process.stderr.write(`flint status: ${a.master}: ${a.error}\n`);
        return 1;
      }
      if (options.json) {
        process.stdout.write(
          JSON.stringify(
            masters.length === 1
              ? shown
              : {
                  leader: shown,
                  masters: answers.map((a) =>
                    "status" in a ? { master: a.master, recoveryState: a.status.recoveryState } : { master: a.master, error: a.error },
                  ),
                },
            null,
            2,
          ) + "\n",
        );
        return 0;
      }
      let text = formatStatus(shown);
      if (masters.length > 1) {
        const others = answers
          .filter((a) => !("status" in a) || a.status !== shown)
          .map((a) => `  ${a.master}: ${"status" in a ? a.status.recoveryState : `no answer (${a.error})`}`);
        text += `\nOther masters (${others.length})\n${others.join("\n")}\n`;
      }
      process.stdout.write(text);
      return 0;
    },
    (a) => withConfigFile(a, "status").argv,
  );
}

export function formatStatus(s: ClusterStatus): string {
  const out: string[] = [`Master ${s.address} (${s.recoveryState})`, ""];
  out.push(`Workers (${s.workers.length})`);
  out.push(
    table(
      ["ID", "ADDRESS", "STATE", "CORES", "MEMORY", "EXECUTORS", "LAST HEARTBEAT"],
      s.workers.map((w) => [
        w.id,
        w.address,
        w.state,
        `${w.coresUsed}/${w.cores}`,
        `${w.memoryUsed}/${w.memoryMb} MiB`,
        String(w.executors),
        `${(w.lastHeartbeatAgoMs / 1000).toFixed(1)} s ago`,
      ]),
    ),
  );
  out.push("", `Applications (${s.apps.length} running, ${s.completedApps.length} completed)`);
  const apps = [
    ...s.apps.map((a) => [
      a.id,
      a.name,
      a.state,
      String(a.coresGranted),
      a.maxCores === null ? "-" : String(a.maxCores),
      clockTime(a.startTimeMs),
      seconds(a.durationMs),
      a.driverAddress,
    ]),
    ...s.completedApps.map((a) => [
      a.id,
      a.name,
      a.state,
      "-",
      "-",
      clockTime(a.startTimeMs),
      seconds(a.durationMs),
      a.workerIds.length === 0 ? "ran on no worker" : `ran on ${a.workerIds.join(",")}`,
    ]),
  ];
  out.push(table(["ID", "NAME", "STATE", "CORES", "MAX CORES", "SUBMITTED", "DURATION", "DRIVER / WORKERS"], apps));
  const executors = s.apps.flatMap((a) =>
    a.executors.map((e) => [`${a.id}/${e.id}`, e.workerId, e.state, String(e.cores), `${e.memoryMb} MiB`]),
  );
  out.push("", `Executors (${executors.length})`);
  out.push(table(["ID", "WORKER", "STATE", "CORES", "MEMORY"], executors));
  out.push("", `Drivers (${s.drivers.length} active, ${s.completedDrivers.length} completed)`);
  const drivers = [
    ...s.drivers.map((d) => [d.id, d.state, d.workerId ?? "-", String(d.cores), d.supervise ? "yes" : "no", clockTime(d.startTimeMs), "-"]),
    ...s.completedDrivers.map((d) => [d.id, d.state, d.workerId ?? "-", "-", "-", clockTime(d.startTimeMs), seconds(d.durationMs)]),
  ];
  out.push(table(["ID", "STATE", "WORKER", "CORES", "SUPERVISE", "SUBMITTED", "DURATION"], drivers));
  return out.join("\n") + "\n";
}

/** A master's clock reading as UTC date and time (the master's clock, not this machine's). */
function clockTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace("T", " ").slice(0, 19);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function table(header: string[], rows: string[][]): string {
  if (rows.length === 0) return "  (none)";
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    "  " +
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
