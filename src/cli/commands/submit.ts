/**
 * `flint submit APP --master URL`: runs an application on a cluster. In client mode (the
 * default) the driver runs here and the result is printed; in cluster mode the master places the
 * driver on a worker (restarted on failure with --supervise) and this command prints its id.
 */
import { existsSync } from "node:fs";
import type { DriverId } from "../../protocol/ids.js";
import type { DriverDescription, Message } from "../../protocol/messages.js";
import type { DriverCommand } from "../../real/cluster/driverMain.js";
import { Transport } from "../../real/transport.js";
import type { DialFailure } from "../../real/dial-failure.js";
import { protocolConfigFromEnv } from "../../real/cluster/runtime.js";
import { appMainOf, formatResult, runApp } from "../../real/driver/app.js";
import { importAppModule, checkModuleSyntax } from "../../real/driver/load.js";
import { createLogger } from "../../real/log.js";
import { loadModule } from "../../real/tasks/module.js";
import { integerOption, mastersOption, memoryOption, optionalInteger, parseOptions, secretOption, UsageError, withUsage } from "./cluster-options.js";
import { progressBar } from "./progress-bar.js";
import { applyConfigFile, CONFIG_HELP } from "./config-options.js";
import { parsePortRange, type PortRange } from "../../real/portRange.js";
import { WEB_OPTION_NAMES, webOption, webOptionsHelp } from "./web-options.js";
import { DRIVER_CONTROL_USAGE, isDriverControl, parseDriverControl, runDriverControl } from "./driver-control.js";

export const summary = "run an application (an ES module with main(ctx)) on a cluster";

const USAGE = `Usage: flint submit <app.mjs> --master flint://host:port [options] [-- app arguments]

The application is an ES module exporting its task functions and main(ctx); ctx.run(fn, inputs)
runs one job on the cluster, and what main returns is printed.

Options:
  --master URL            the master(s) (required)
  --deploy-mode MODE      client (default: the driver runs here) or cluster (on a worker)
  --supervise             cluster mode: restart the driver when it fails
  --name NAME             the application's name (default: the module's file name)
  --executor-cores N      cores per executor (default: all free cores of a worker)
  --executor-memory M     memory per executor, e.g. 1g (default 1g)
  --max-cores N           most cores the application takes (default: all)
  --driver-cores N        cluster mode: cores of the driver (default 1)
  --driver-memory M       cluster mode: memory of the driver (default 1g)
  --secret-file F         the cluster's shared secret
  --quiet                 no progress bar
  --advertised-host H     client mode: the host name executors reach this driver by (NAT)
  --driver-ports R        client mode: ports this driver listens on, e.g. 40000-40099
  --config F              a config file (JSON; default /etc/flint/flint.json when it
                          exists); flags override it
${webOptionsHelp(4040, 26)}
  -h, --help              this help

Exit status: 0 success, 1 the application failed, 2 bad usage.

${DRIVER_CONTROL_USAGE}`;

export async function run(argv: string[]): Promise<number> {
  if (isDriverControl(argv)) {
    return withUsage("submit", DRIVER_CONTROL_USAGE, async () => {
      const request = parseDriverControl(argv);
      if (request === "help") {
        process.stdout.write(DRIVER_CONTROL_USAGE + "\n");
        return 0;
      }
      return runDriverControl(request, askMaster, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
    });
  }
  return withUsage("submit", USAGE, async () => {
    const parsed = parseOptions(
      argv,
      { values: ["master", "deploy-mode", "name", "executor-cores", "executor-memory", "max-cores", "driver-cores", "driver-memory", "secret-file", "config", "advertised-host", "driver-ports", ...WEB_OPTION_NAMES], flags: ["supervise", "quiet"] },
      { stopAtFirstPositional: true },
    );
    if (parsed.help) {
      process.stdout.write(USAGE + "\n");
      return 0;
    }
    applyConfigFile(parsed, "submit");
    const app = parsed.positionals[0];
    if (app === undefined) throw new UsageError("the application module is required");
    if (!existsSync(app)) throw new UsageError(`the application module '${app}' does not exist`);
    const appArgs = [...parsed.positionals.slice(1), ...parsed.rest];
    const masterText = parsed.values["master"];
    const masters = mastersOption(masterText, "--master");
    const mode = parsed.values["deploy-mode"] ?? "client";
    if (mode !== "client" && mode !== "cluster") throw new UsageError(`--deploy-mode: '${mode}' is neither client nor cluster`);
    if (parsed.flags.has("supervise") && mode !== "cluster") throw new UsageError("--supervise needs --deploy-mode cluster");
    const executorCores = optionalInteger(parsed, "executor-cores", 1, 100_000);
    const maxCores = optionalInteger(parsed, "max-cores", 1, 10_000_000);
    const executorMemoryMb = parsed.values["executor-memory"] === undefined ? undefined : memoryOption(parsed, "executor-memory", 1024);
    const secret = secretOption(parsed);
    const name = parsed.values["name"];
    const web = webOption(parsed, 4040, secret !== undefined);
    const advertisedHost = parsed.values["advertised-host"];
    let driverPorts: PortRange | undefined;
    try {
      driverPorts = parsed.values["driver-ports"] === undefined ? undefined : parsePortRange(parsed.values["driver-ports"]);
    } catch (err) {
      throw new UsageError(`--driver-ports: ${(err as Error).message}`);
    }

    if (mode === "client") {
      // Load and check the module before connecting: a syntax error is reported with its file and line.
      let exports: Record<string, unknown>;
      try {
        exports = await importAppModule(app);
        appMainOf(exports, app);
      } catch (err) {
        process.stderr.write(`flint submit: ${(err as Error).message}\n`);
        return 1;
      }
      const bar = parsed.flags.has("quiet") ? undefined : progressBar();
      // SIGTERM or Ctrl-C stops the application cleanly (UnregisterApplication, StopExecutor).
      const abort = new AbortController();
      const onSignal = (): void => abort.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        const result = await runApp({
          master: masterText!,
          module: app,
          exports,
          ...(name !== undefined ? { app: name } : {}),
          ...(secret !== undefined ? { secret } : {}),
          ...(maxCores !== undefined ? { cores: maxCores } : {}),
          ...(executorCores !== undefined ? { executorCores } : {}),
          ...(executorMemoryMb !== undefined ? { executorMemoryMb } : {}),
          argv: appArgs,
          signal: abort.signal,
          ...(web !== undefined ? { webUi: web } : {}),
          ...(advertisedHost !== undefined ? { advertisedHost } : {}),
          ...(driverPorts !== undefined ? { ports: driverPorts } : {}),
          ...(bar ? { onProgress: (p) => bar.update(p) } : {}),
        });
        bar?.done();
        const shown = formatResult(result);
        if (shown !== undefined) process.stdout.write(shown + "\n");
        return 0;
      } catch (err) {
        bar?.done();
        if (abort.signal.aborted) {
          process.stderr.write("flint submit: stopped by a signal; the application was stopped\n");
          return 130;
        }
        process.stderr.write(`flint submit: the application failed: ${(err as Error).message}\n`);
        return 1;
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    }

    const syntaxError = checkModuleSyntax(app);
    if (syntaxError !== undefined) {
      process.stderr.write(`flint submit: ${syntaxError.message}\n`);
      return 1;
    }
    const shipped = loadModule(app);
    const command: DriverCommand & Record<string, unknown> = {
      ...shipped,
      masters: masters.join(","),
      argv: appArgs,
      ...(name !== undefined ? { app: name } : {}),
      ...(maxCores !== undefined ? { maxCores } : {}),
      ...(executorCores !== undefined ? { executorCores } : {}),
      ...(executorMemoryMb !== undefined ? { executorMemoryMb } : {}),
    };
    const desc: DriverDescription = {
      cores: integerOption(parsed, "driver-cores", 1, 1, 100_000),
      memoryMb: memoryOption(parsed, "driver-memory", 1024),
      supervise: parsed.flags.has("supervise"),
      command,
    };
    let reply: Message;
    try {
      reply = await askMaster(masters[0]!, { type: "RequestSubmitDriver", desc }, "SubmitDriverResponse", secret);
    } catch (err) {
      process.stderr.write(`flint submit: ${(err as Error).message}\n`);
      return 1;
    }
    if (reply.type !== "SubmitDriverResponse") return 1;
    if (!reply.success) {
      process.stderr.write(`flint submit: the master refused the driver: ${reply.message}\n`);
      return 1;
    }
    process.stdout.write(`${reply.driverId as DriverId}\n`);
    process.stderr.write(`${reply.message}\n`);
    return 0;
  });
}

/** One request and its reply, as Spark's submission Client does it (not a protocol role). */
export async function askMaster(master: string, request: Message, replyType: Message["type"], secret: string | undefined): Promise<Message> {
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
