/**
 * One request to one master and its reply, as Spark's submission Client asks for a driver's status
 * or its kill (`flint submit --status/--kill`): a short-lived authenticated connection, the reply
 * taken from it, a refused connection or a failed authentication reported at once by name.
 */
import type { Message } from "../protocol/messages.js";
import type { DialFailure } from "./dial-failure.js";
import { createLogger } from "./log.js";
import { protocolConfigFromEnv } from "./runtime.js";
import { Transport } from "./transport.js";

/** One request and its reply, as Spark's submission Client does it (not a protocol role). */
export async function askMaster(
  master: string,
  request: Message,
  replyType: Message["type"],
  secret: string | undefined,
): Promise<Message> {
  // The failed connection is reported below by name: no log line repeating it.
  const logger = createLogger({ node: "submit", consoleLevel: "error" });
  const protocol = protocolConfigFromEnv();
  let dialFailed: (failure: DialFailure) => void = () => {};
  const transport = new Transport({
    logger,
    ...(secret !== undefined ? { secret } : { allowUnauthenticated: true }),
    maxFrameBytes: protocol.maxMessageSizeBytes,
  });
  transport.onDialFailed((failure) => dialFailed(failure));
  // The reply comes back on the connection we open, so the announced address is never dialed.
  await transport.listen("127.0.0.1", 0);
  try {
    return await new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from ${master} within 10 s`)), 10_000);
      // A refused connection or a failed authentication is known at once: no need to wait 10 s.
      dialFailed = (failure) => {
        clearTimeout(timer);
        reject(new Error(failure.kind === "auth" ? failure.detail : `cannot reach the master: ${failure.detail}`));
      };
      transport.attach({
        onMessage: (_from, message) => {
          if (message.type !== replyType) return;
          clearTimeout(timer);
          resolve(message);
        },
        onDisconnected: () => {
          clearTimeout(timer);
          reject(new Error(`the master ${master} closed the connection (wrong secret?)`));
        },
      });
      transport.send(master as Parameters<typeof transport.send>[0], request);
    });
  } finally {
    await transport.close();
    await logger.close();
  }
}
