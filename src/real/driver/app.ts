/**
 * Runs a flint application: an ES module that exports its task functions and a
 * `main(ctx)` that drives them. `ctx.run(fn, inputs)` runs one job on the cluster; whatever `main`
 * returns is the application's result (`flint local` and `flint submit` print it).
 *
 *   export function sample(input) { ... }                 // a task
 *   export async function main(ctx) {                      // the driver program
 *     const out = await ctx.run("sample", [1, 2, 3]);
 *     return `result: ${out}`;
 *   }
 */
import { AppModuleError, importAppModule } from "./load.js";
import { connect, type Cluster, type ConnectOptions, type Progress, type RunOptions } from "./api.js";

export interface AppContext {
  /** Runs `fn` once per input on the cluster; results in input order. */
  run<T = unknown>(fn: string, inputs: readonly unknown[], options?: RunOptions): Promise<T[]>;
  /** The application's own arguments (what follows the module on the command line). */
  argv: string[];
  /** The application's id now (a new one if the driver had to register again). */
  readonly appId: string;
  log(message: string): void;
}

export type AppMain = (ctx: AppContext) => unknown;

export interface RunAppOptions extends ConnectOptions {
  argv?: string[];
  /** Progress of every job the app runs (the CLI's progress bar). */
  onProgress?(progress: Progress): void;
  log?(message: string): void;
  /** The module to import for `main` (default: `module`); cluster-mode drivers use a cached copy. */
  importFrom?: string;
  /** The module's exports when the caller has imported it already (importAppModule), to check it before anything starts. */
  exports?: Record<string, unknown>;
  /** Aborting stops the application (its jobs fail, its executors stop). */
  signal?: AbortSignal;
  /** Called once the application is registered, before `main` runs (e.g. to say where its web UI is). */
  onConnected?(cluster: Cluster): void;
}

/** Imports the module, checks that it has `main`, connects, runs it, and always closes. */
export async function runApp(options: RunAppOptions): Promise<unknown> {
  const mod = options.exports ?? (await importAppModule(options.importFrom ?? options.module, options.moduleShownAs ?? options.module));
  const main = appMainOf(mod, options.moduleShownAs ?? options.module);
  const cluster: Cluster = await connect(options);
  options.onConnected?.(cluster);
  const onAbort = (): void => void cluster.close();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    const ctx: AppContext = {
      argv: options.argv ?? [],
      get appId(): string {
        return cluster.appId;
      },
      log: options.log ?? ((message) => process.stderr.write(`${message}\n`)),
      run: (fn, inputs, runOptions = {}) =>
        cluster.run(fn, inputs, {
          onProgress: (p) => {
            options.onProgress?.(p);
            runOptions.onProgress?.(p);
          },
        }),
    };
    return await main(ctx);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await cluster.close();
  }
}

/** The module's `main`, or an error naming the module. */
export function appMainOf(exports: Record<string, unknown>, shownAs: string): AppMain {
  const main = exports["main"];
  if (typeof main !== "function") throw new AppModuleError(`${shownAs} exports no main(ctx) function`);
  return main as AppMain;
}

/** How the CLI prints an application's result. */
export function formatResult(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2);
}
