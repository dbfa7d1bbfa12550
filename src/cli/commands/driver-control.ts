/**
 * `flint submit --status DRIVER_ID` and `flint submit --kill DRIVER_ID` (spark-submit's own): ask
 * the masters about a cluster-mode driver, or ask them to kill it. Each master is asked in turn
 * until one that leads (ALIVE) answers; a standby says it is not alive, and is skipped.
 *
 * Exit status: 0 the answer came (--status: the driver was found, whatever its state; --kill:
 * the kill was accepted), 1 no master that leads could be asked, 2 bad usage, 3 the leading
 * master does not know the driver (never submitted, or finished longer ago than the master
 * keeps finished drivers: retainedDrivers), or for --kill it has already finished.
 */
import type { Address, DriverId } from "../../protocol/ids.js";
import type { Message } from "../../protocol/messages.js";
import { applyConfigFile } from "./config-options.js";
import { mastersOption, parseOptions, secretOption, UsageError, type Parsed } from "./cluster-options.js";

export const EXIT_DRIVER_UNKNOWN = 3;

export const DRIVER_CONTROL_USAGE = `Usage: flint submit --status DRIVER_ID --master flint://host:port[,host:port...] [--secret-file F] [--config F] [--json]
       flint submit --kill DRIVER_ID --master flint://host:port[,host:port...] [--secret-file F] [--config F]

Asks the leading master for a cluster-mode driver's state (and the worker it runs or ran on), or
to kill it. --status prints the state; --json prints the answer as one JSON object.

Exit status: 0 answered (--status: found; --kill: kill accepted), 1 no leading master answered,
2 bad usage, 3 the master does not know the driver (or, for --kill, it has already finished).`;

export interface DriverControlRequest {
  action: "status" | "kill";
  driverId: DriverId;
  masters: Address[];
  secret: string | undefined;
  json: boolean;
}

/** True when argv asks for --status or --kill (anywhere before `--`, which starts the app's own arguments). */
export function isDriverControl(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === "--") return false;
    if (arg === "--status" || arg === "--kill" || arg.startsWith("--status=") || arg.startsWith("--kill=")) return true;
  }
  return false;
}

/** Every option of --status/--kill, in one place (names, checks, help). */
export function parseDriverControl(argv: readonly string[]): DriverControlRequest | "help" {
  const parsed: Parsed = parseOptions(argv, { values: ["status", "kill", "master", "secret-file", "config"], flags: ["json"] });
  if (parsed.help) return "help";
  applyConfigFile(parsed, "status");
  const status = parsed.values["status"];
  const kill = parsed.values["kill"];
  if (status !== undefined && kill !== undefined) throw new UsageError("give --status or --kill, not both");
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument '${parsed.positionals[0]}' (--status and --kill take no application)`);
  if (parsed.flags.has("json") && kill !== undefined) throw new UsageError("--json works with --status only");
  const driverId = (status ?? kill)!;
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/.test(driverId)) throw new UsageError(`'${driverId}' is not a driver id (e.g. driver-20260101000000-0000)`);
  return {
    action: status !== undefined ? "status" : "kill",
    driverId: driverId as DriverId,
    masters: mastersOption(parsed.values["master"], "--master"),
    secret: secretOption(parsed),
    json: parsed.flags.has("json"),
  };
}

export type AskMaster = (master: string, request: Message, replyType: Message["type"], secret: string | undefined) => Promise<Message>;

/** A reply from a master that does not lead (Spark's wording, see the master's notAlive). */
const NOT_ALIVE = /^Current state is not alive/;

export interface DriverControlOutput {
  out(text: string): void;
  err(text: string): void;
}

export async function runDriverControl(request: DriverControlRequest, ask: AskMaster, io: DriverControlOutput): Promise<number> {
  const problems: string[] = [];
  for (const master of request.masters) {
    let reply: Message;
    try {
      reply = request.action === "status" ? await ask(master, { type: "RequestDriverStatus", driverId: request.driverId }, "DriverStatusResponse", request.secret) : await ask(master, { type: "RequestKillDriver", driverId: request.driverId }, "KillDriverResponse", request.secret);
    } catch (err) {
      problems.push(`${master}: ${(err as Error).message}`);
      continue;
    }
    if (reply.type === "DriverStatusResponse") {
      if (!reply.found && reply.exception !== undefined && NOT_ALIVE.test(reply.exception)) {
        problems.push(`${master}: ${reply.exception}`);
        continue;
      }
      if (request.json) {
        const { found, state, workerId, workerHostPort, exception } = reply;
        io.out(JSON.stringify({ driverId: request.driverId, master, found, state: state ?? null, workerId: workerId ?? null, workerHostPort: workerHostPort ?? null, exception: exception ?? null }) + "\n");
      }
      if (!reply.found) {
        io.err(`flint submit: ${master} does not know driver ${request.driverId} (never submitted, or finished and no longer kept)\n`);
        return EXIT_DRIVER_UNKNOWN;
      }
      if (!request.json) {
        io.out(`State of driver ${request.driverId} is ${reply.state ?? "UNKNOWN"}\n`);
        if (reply.workerId !== undefined) io.out(`Driver ran on worker ${reply.workerId}${reply.workerHostPort !== undefined ? ` (${reply.workerHostPort})` : ""}\n`);
        if (reply.exception !== undefined) io.out(`Exception from the cluster: ${reply.exception}\n`);
      }
      return 0;
    }
    if (reply.type === "KillDriverResponse") {
      if (!reply.success && NOT_ALIVE.test(reply.message)) {
        problems.push(`${master}: ${reply.message}`);
        continue;
      }
      if (!reply.success) {
        io.err(`flint submit: ${reply.message}\n`);
        return EXIT_DRIVER_UNKNOWN;
      }
      io.out(`${reply.message}\n`);
      return 0;
    }
    problems.push(`${master}: unexpected reply ${reply.type}`);
  }
  io.err(`flint submit: no leading master answered:\n${problems.map((p) => `  ${p}\n`).join("")}`);
  return 1;
}
