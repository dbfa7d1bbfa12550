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
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
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
  /** Aborting stops the application (its jobs fail, its executors stop). */
  signal?: AbortSignal;
}

/** Imports the module, checks that it has `main`, connects, runs it, and always closes. */
export async function runApp(options: RunAppOptions): Promise<unknown> {
  const url = pathToFileURL(resolve(options.importFrom ?? options.module)).href;
  const mod = (await import(url)) as Record<string, unknown>;
  const main = mod["main"];
  if (typeof main !== "function") throw new Error(`${options.module} exports no main(ctx) function`);
  const cluster: Cluster = await connect(options);
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
    return await (main as AppMain)(ctx);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await cluster.close();
  }
}

/** How the CLI prints an application's result. */
export function formatResult(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2);
}
