/**
 * `flint submit APP --master URL`: runs an application on a cluster. In client mode (the
 * default) the driver runs here and the result is printed; in cluster mode the master places the
 * driver on a worker (restarted on failure with --supervise) and this command prints its id.
 */
import { existsSync } from "node:fs";
import type { DriverDescription } from "../../protocol/messages.js";
import type { DriverCommand } from "../../real/cluster/driverMain.js";
import { protocolConfigFromEnv } from "../../real/runtime.js";
import { appMainOf, formatResult, runApp } from "../../real/driver/app.js";
import { importAppModule, checkModuleSyntax } from "../../real/driver/load.js";
import { createLogger } from "../../real/log.js";
import { loadModule } from "../../real/tasks/module.js";
import { submitDriver, type SubmitOutcome } from "../../real/submit.js";
import { DEFAULT_CONFIG } from "../../protocol/config.js";
import { defineCommand, formatSizeMb, runCommand, UsageError } from "../args.js";
import { PROTOCOL_CONFIG } from "../environment.js";
import { mastersOption, secretOption } from "./cluster-options.js";
import { progressBar } from "./progress-bar.js";
import { CONFIG_OPTION, withConfigFile } from "./config-options.js";
import { parsePortRange } from "../../real/portRange.js";
import { webOption, webOptions } from "./web-options.js";
import { journalOption, LOCAL_JOURNAL_DIR, recorderOptions } from "./journal-option.js";
import { driverControlRequest, EXIT_DRIVER_UNKNOWN, runDriverControl } from "./driver-control.js";
import { askMaster } from "../../real/ask-master.js";

export const spec = defineCommand({
  name: "submit",
  summary: "run an application (an ES module with main(ctx)) on a cluster",
  usage:
    "<app.mjs> --master flint://host:port [options] [-- app arguments]\n       flint submit --status DRIVER_ID | --kill DRIVER_ID --master flint://host:port [--json]",
  description: `The application is an ES module exporting its task functions and main(ctx); ctx.run(fn, inputs)
runs one job on the cluster, and what main returns is printed. In cluster mode the master places
the driver on a worker and this command prints the driver's id. Arguments after the module (or
after --) are the application's own.
--status and --kill ask the leading master about a cluster-mode driver (its state and the worker it
runs or ran on), or to kill it; each master in --master is asked in turn until the leader answers.`,
  positionals: { name: "app.mjs", min: 0, max: Number.POSITIVE_INFINITY },
  passThrough: "app arguments",
  options: {
    master: { type: "string", value: "URL", help: "the master(s) (required)" },
    "deploy-mode": {
      type: "enum",
      choices: ["client", "cluster"],
      noun: "deploy mode",
      value: "MODE",
      default: "client",
      help: "client: the driver runs here; cluster: on a worker",
    },
    supervise: { type: "boolean", help: "cluster mode: restart the driver when it fails" },
    name: { type: "string", value: "NAME", defaultHelp: "the module's file name", help: "the application's name" },
    "executor-cores": {
      type: "int",
      min: 1,
      max: 100_000,
      value: "N",
      defaultHelp: "all free cores of a worker",
      help: "cores per executor",
    },
    "executor-memory": {
      type: "size",
      value: "M",
      defaultHelp: `${formatSizeMb(DEFAULT_CONFIG.executorMemoryMb)}, or ${PROTOCOL_CONFIG.name}'s executorMemoryMb`,
      help: "memory per executor, e.g. 1g",
    },
    "max-cores": { type: "int", min: 1, max: 10_000_000, value: "N", defaultHelp: "all", help: "most cores the application takes" },
    "driver-cores": { type: "int", min: 1, max: 100_000, value: "N", default: 1, help: "cluster mode: cores of the driver" },
    "driver-memory": { type: "size", value: "M", default: 1024, help: "cluster mode: memory of the driver" },
    "secret-file": { type: "string", value: "F", help: "the cluster's shared secret" },
    quiet: { type: "boolean", help: "no progress bar" },
    "advertised-host": { type: "string", value: "H", help: "client mode: the host name executors reach this driver by (NAT)" },
    "driver-ports": {
      type: "string",
      value: "R",
      check: portRangeProblem,
      help: "client mode: ports this driver listens on, e.g. 40000-40099",
    },
    ...webOptions(4040),
    ...recorderOptions(
      `./${LOCAL_JOURNAL_DIR}`,
      "client mode: record every step of the driver that runs here in DIR, for\n`flint replay DIR` (a cluster-mode driver journals where its worker does)",
    ),
    config: CONFIG_OPTION,
    status: { type: "string", value: "DRIVER_ID", help: "print a cluster-mode driver's state and its worker (no application)" },
    kill: { type: "string", value: "DRIVER_ID", help: "kill a cluster-mode driver (no application)" },
    json: { type: "boolean", help: "with --status: print the answer as one JSON object" },
  },
  exitCodes: [
    [0, "client mode: the application succeeded (its result printed); cluster mode: the\nmaster took the driver (its id printed)"],
    [1, "the application failed, the module does not load, or the master is unreachable\nor refused the driver"],
    [2, "bad usage (an unknown option, a bad value, no module or no --master)"],
    [EXIT_DRIVER_UNKNOWN, "--status/--kill: the master does not know the driver (or, for --kill, it has\nalready finished)"],
    [130, "stopped by SIGTERM or Ctrl-C (the application was stopped)"],
  ],
  environment: [PROTOCOL_CONFIG],
});

export function run(argv: string[]): Promise<number> {
  return runCommand(
    spec,
    argv,
    async ({ options, positionals, rest }) => {
      if (options.status !== undefined || options.kill !== undefined) {
        const request = driverControlRequest(
          {
            status: options.status,
            kill: options.kill,
            json: options.json,
            master: options.master,
            secret: secretOption(options["secret-file"]),
          },
          positionals[0],
        );
        return runDriverControl(request, askMaster, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
      }
      if (options.json) throw new UsageError("--json works with --status only");
      const app = positionals[0];
      if (app === undefined) throw new UsageError("the application module is required");
      if (!existsSync(app)) throw new UsageError(`the application module '${app}' does not exist`);
      const appArgs = [...positionals.slice(1), ...rest];
      const masterText = options.master;
      const masters = mastersOption(masterText, "--master");
      const mode = options["deploy-mode"];
      if (options.supervise && mode !== "cluster") throw new UsageError("--supervise needs --deploy-mode cluster");
      if (mode === "cluster" && (options.journal !== undefined || options["no-journal"]))
        throw new UsageError(
          `--${options["no-journal"] ? "no-journal" : "journal"} works in client mode only (a cluster-mode driver journals where its worker does)`,
        );
      const executorCores = options["executor-cores"];
      const maxCores = options["max-cores"];
      const executorMemoryMb = options["executor-memory"];
      const secret = secretOption(options["secret-file"]);
      const name = options.name;
      const web = webOption(options["web-port"], options["web-host"], secret !== undefined);
      const advertisedHost = options["advertised-host"];
      const driverPorts = options["driver-ports"] === undefined ? undefined : parsePortRange(options["driver-ports"]);

      if (mode === "client") {
        // The driver that runs here journals (FLINT_JOURNAL, which connect reads): on by default.
        journalOption(options.journal, options["no-journal"], LOCAL_JOURNAL_DIR);
        // Load and check the module before connecting: a syntax error is reported with its file and line.
        let exports: Record<string, unknown>;
        try {
          exports = await importAppModule(app);
          appMainOf(exports, app);
        } catch (err) {
          process.stderr.write(`flint submit: ${(err as Error).message}\n`);
          return 1;
        }
        const bar = options.quiet ? undefined : progressBar();
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
        cores: options["driver-cores"],
        memoryMb: options["driver-memory"],
        supervise: options.supervise,
        command,
      };
      // Every master is asked (a standby listed first answers "not ALIVE"); the leader's acceptance wins.
      const logger = createLogger({ node: "submit", consoleLevel: "error" });
      let outcome: SubmitOutcome;
      try {
        outcome = await submitDriver({
          masters,
          desc,
          protocol: protocolConfigFromEnv(),
          logger,
          ...(secret !== undefined ? { secret } : {}),
        });
      } finally {
        await logger.close();
      }
      if (!outcome.ok) {
        process.stderr.write(`flint submit: ${outcome.reason}\n`);
        return 1;
      }
      process.stdout.write(`${outcome.driverId}\n`);
      process.stderr.write(`${outcome.message}\n`);
      return 0;
    },
    (a) => withConfigFile(a, "submit").argv,
  );
}

function portRangeProblem(text: string): string | undefined {
  try {
    parsePortRange(text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
