/**
 * Cluster deploy mode's submission over the real transport: hosts the submission client role
 * (src/protocol/client, the reducer the simulator hosts too) until it reports its outcome. Every
 * configured master is asked; the leader's acceptance wins, a standby's "not ALIVE" answer is
 * asked again, as the role decides. This file only carries messages, timers and dial failures.
 */
import { submissionClient } from "../protocol/client/index.js";
import type { ProtocolConfig } from "../protocol/config.js";
import type { Address, DriverId } from "../protocol/ids.js";
import type { DriverDescription } from "../protocol/messages.js";
import { startHost } from "./host.js";
import type { Logger } from "./log.js";
import { Transport } from "./transport.js";

export type SubmitOutcome = { ok: true; driverId: DriverId; master: Address; message: string } | { ok: false; reason: string };

export interface SubmitOptions {
  masters: Address[];
  desc: DriverDescription;
  protocol: ProtocolConfig;
  logger: Logger;
  secret?: string;
}

export async function submitDriver(options: SubmitOptions): Promise<SubmitOutcome> {
  const { logger } = options;
  const transport = new Transport({
    logger,
    ...(options.secret !== undefined ? { secret: options.secret } : { allowUnauthenticated: true }),
    maxFrameBytes: options.protocol.maxMessageSizeBytes,
  });
  // The replies come back on the connections we open, so the announced address is never dialed.
  await transport.listen("127.0.0.1", 0);
  /** Why each master could not be reached, to name in a failure. */
  const unreachable = new Map<Address, string>();
  let settle!: (outcome: SubmitOutcome) => void;
  const outcome = new Promise<SubmitOutcome>((resolve) => (settle = resolve));
  const host = startHost(
    submissionClient,
    { masterAddresses: options.masters, protocol: options.protocol },
    {
      transport,
      logger,
      onNotify: (n) => {
        if (n.kind === "driverSubmitted") settle({ ok: true, driverId: n.driverId, master: n.master, message: n.message });
        else if (n.kind === "driverSubmissionFailed") {
          const why = [...unreachable.values()];
          if (why.length === options.masters.length)
            settle({ ok: false, reason: `cannot reach ${why.length === 1 ? "the master" : "any master"}: ${why.join("; ")}` });
          else settle({ ok: false, reason: why.length === 0 ? n.reason : `${n.reason} (${why.join("; ")})` });
        }
      },
      onExit: (code, reason) => settle({ ok: false, reason: `the submission client ended (${code}): ${reason}` }),
    },
  );
  transport.onDialFailed((failure) => {
    unreachable.set(failure.peer, failure.detail);
    // A failed authentication will not pass on a retry: say so at once.
    if (failure.kind === "auth") settle({ ok: false, reason: failure.detail });
    // Any other failure loses that master for this submission, as a broken connection does.
    else host.input({ type: "peerDisconnected", peer: failure.peer });
  });
  host.input({ type: "command", command: { kind: "submitDriver", desc: options.desc } });
  try {
    return await outcome;
  } finally {
    await host.stop(0, "submission done");
  }
}
