/**
 * A cluster-mode driver process (Spark's DriverWrapper), started by a worker as
 * `node driverMain.js <workDir>/launch.json`. Its description's `command` carries the shipped
 * module, the masters and the application's settings; it caches the module in its work
 * directory and runs the application's `main(ctx)` as a client-mode driver would. Exit 0 when
 * `main` returns, 1 when it throws (the worker reports FINISHED or FAILED, and relaunches a
 * supervised driver after a failure).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatResult, runApp } from "../driver/app.js";
import { renameModule } from "../driver/load.js";
import { cacheModule, shippedModuleOf } from "../tasks/module.js";
import { readSecretFromFd, type LaunchFile } from "./launcher.js";
import { stopOnSignals, watchStdin } from "../runtime.js";

/** The settings `flint submit --deploy-mode cluster` puts in DriverDescription.command. */
export interface DriverCommand {
  masters: string;
  app?: string;
  argv?: string[];
  maxCores?: number;
  executorCores?: number;
  executorMemoryMb?: number;
}

async function main(): Promise<number> {
  const launchPath = process.argv[2];
  if (launchPath === undefined) throw new Error("usage: driverMain.js <launch.json>");
  const spec = JSON.parse(readFileSync(launchPath, "utf8")) as LaunchFile;
  if (spec.kind !== "driver") throw new Error(`${launchPath} does not launch a driver`);
  // On a pipe at fd 3, read and closed at once: never in our environment, where a task could find it.
  const secret = readSecretFromFd();
  const command = spec.desc.command as unknown as DriverCommand;
  const shipped = shippedModuleOf(spec.desc.command);
  const modulePath = fileURLToPath(cacheModule(spec.workDir, shipped));
  // The driver dies with its worker (DriverRunner's process is a child of the worker).
  watchStdin(() => process.exit(1));
  // A kill from the worker (SIGTERM) stops the application cleanly before the process ends.
  const abort = new AbortController();
  let signalled = false;
  stopOnSignals(() => {
    signalled = true;
    abort.abort();
  });
  const result = await runApp({
    master: command.masters,
    module: modulePath,
    moduleShownAs: shipped.moduleName,
    app: command.app ?? shipped.moduleName.replace(/\.[cm]?js$/, ""),
    host: spec.listenHost ?? spec.host,
    ...(spec.listenHost !== undefined && spec.listenHost !== spec.host ? { advertisedHost: spec.host } : {}),
    ...(spec.ports !== undefined ? { ports: spec.ports } : {}),
    ...(secret !== undefined ? { secret } : {}),
    ...(command.maxCores !== undefined ? { cores: command.maxCores } : {}),
    ...(command.executorCores !== undefined ? { executorCores: command.executorCores } : {}),
    ...(command.executorMemoryMb !== undefined ? { executorMemoryMb: command.executorMemoryMb } : {}),
    argv: command.argv ?? [],
    signal: abort.signal,
    // The application's page on the worker's machine (loopback: reach it through an SSH tunnel);
    // its address goes to the driver's stderr, which the worker's page links to.
    webUi: { port: 4040 },
    onConnected: (cluster) => {
      if (cluster.webUrl !== undefined) process.stderr.write(`application ${cluster.appId} web UI ${cluster.webUrl}\n`);
    },
  }).catch((err: unknown) => {
    if (signalled) process.exit(143);
    // The user knows the module by its name, not as this driver's cached copy.
    if (err instanceof Error && err.stack !== undefined) err.stack = renameModule(err.stack, modulePath, shipped.moduleName);
    throw err;
  });
  const shown = formatResult(result);
  if (shown !== undefined) {
    process.stdout.write(shown + "\n");
    writeFileSync(join(spec.workDir, "result"), shown + "\n");
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`driver failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
