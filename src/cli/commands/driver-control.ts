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
import { UsageError } from "../args.js";
import { mastersOption } from "./cluster-options.js";

export const EXIT_DRIVER_UNKNOWN = 3;

export interface DriverControlRequest {
  action: "status" | "kill";
  driverId: DriverId;
  masters: Address[];
  secret: string | undefined;
  json: boolean;
}

/** The request `--status ID` / `--kill ID` (with `--json`, `--master`) make, or a usage error naming what is wrong. */
export function driverControlRequest(
  o: { status: string | undefined; kill: string | undefined; json: boolean; master: string | undefined; secret: string | undefined },
  app: string | undefined,
): DriverControlRequest {
  if (o.status !== undefined && o.kill !== undefined) throw new UsageError("give --status or --kill, not both");
  if (app !== undefined) throw new UsageError(`unexpected argument '${app}' (--status and --kill take no application)`);
  if (o.json && o.kill !== undefined) throw new UsageError("--json works with --status only");
  const driverId = (o.status ?? o.kill)!;
  if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/.test(driverId))
    throw new UsageError(`'${driverId}' is not a driver id (e.g. driver-20260101000000-0000)`);
  return {
    action: o.status !== undefined ? "status" : "kill",
    driverId: driverId as DriverId,
    masters: mastersOption(o.master, "--master"),
    secret: o.secret,
    json: o.json,
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
      reply =
        request.action === "status"
          ? await ask(master, { type: "RequestDriverStatus", driverId: request.driverId }, "DriverStatusResponse", request.secret)
          : await ask(master, { type: "RequestKillDriver", driverId: request.driverId }, "KillDriverResponse", request.secret);
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
        io.out(
          JSON.stringify({
            driverId: request.driverId,
            master,
            found,
            state: state ?? null,
            workerId: workerId ?? null,
            workerHostPort: workerHostPort ?? null,
            exception: exception ?? null,
          }) + "\n",
        );
      }
      if (!reply.found) {
        io.err(`flint submit: ${master} does not know driver ${request.driverId} (never submitted, or finished and no longer kept)\n`);
        return EXIT_DRIVER_UNKNOWN;
      }
      if (!request.json) {
        io.out(`State of driver ${request.driverId} is ${reply.state ?? "UNKNOWN"}\n`);
        if (reply.workerId !== undefined)
          io.out(`Driver ran on worker ${reply.workerId}${reply.workerHostPort !== undefined ? ` (${reply.workerHostPort})` : ""}\n`);
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
