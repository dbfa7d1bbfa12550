/**
 * The fuzzer's worker threads: started once per `flint fuzz`, each given the base scenarios, then
 * fed batches of tasks; a batch resolves when every task of it that was handed out has replied.
 * With one thread (or no compiled worker file, as under vitest) the tasks run in this thread.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { Coverage } from "../sim/coverage.js";
import type { Scenario } from "../sim/scenario.js";
import { crashReply, runTask, type RunContext, type WorkerReply, type WorkerRequest, type WorkerTask } from "./fuzz-worker.js";

export interface PoolOptions {
  bases: Scenario[];
  bugs: string[];
  strict: boolean;
  coverage: boolean;
  threads: number;
}

/** Tasks kept in flight per thread (one running, one queued, so a thread never waits for the main one). */
const IN_FLIGHT = 2;

export class FuzzPool {
  readonly threads: number;
  private readonly workers: Worker[] = [];
  private readonly local: RunContext;

  constructor(options: PoolOptions) {
    const workerFile = new URL("./fuzz-worker.js", import.meta.url);
    this.threads = options.threads > 1 && existsSync(fileURLToPath(workerFile)) ? options.threads : 1;
    this.local = { bases: options.bases, bugs: options.bugs, strict: options.strict, coverage: options.coverage ? new Coverage() : null };
    if (this.threads === 1) return;
    const init: WorkerRequest = {
      type: "init",
      bases: options.bases,
      bugs: options.bugs,
      strict: options.strict,
      coverage: options.coverage,
    };
    for (let i = 0; i < this.threads; i++) {
      const w = new Worker(workerFile);
      w.postMessage(init);
      this.workers.push(w);
    }
  }

  /**
   * Runs the tasks; `onReply` hears each reply as it comes (for progress), `more()` is asked
   * before each task is handed out (false: hand out no more, e.g. past a deadline). Resolves with
   * the replies of the tasks handed out.
   */
  async runBatch(tasks: readonly WorkerTask[], onReply: (r: WorkerReply) => void, more: () => boolean): Promise<WorkerReply[]> {
    const replies: WorkerReply[] = [];
    let next = 0;
    if (this.threads === 1) {
      while (next < tasks.length && more()) {
        const t = tasks[next++]!;
        let r: WorkerReply;
        try {
          r = runTask(this.local, t);
        } catch (e) {
          r = crashReply(t, e);
        }
        replies.push(r);
        onReply(r);
        await new Promise<void>((resolve) => setImmediate(resolve)); // let the progress bar draw
      }
      return replies;
    }
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            let inFlight = 0;
            const feed = (): void => {
              while (inFlight < IN_FLIGHT && next < tasks.length && more()) {
                inFlight++;
                w.postMessage(tasks[next++]!);
              }
              if (inFlight === 0) finish();
            };
            const onMessage = (r: WorkerReply): void => {
              inFlight--;
              replies.push(r);
              onReply(r);
              feed();
            };
            const finish = (): void => {
              w.off("message", onMessage);
              w.off("error", reject);
              resolve();
            };
            w.on("message", onMessage);
            w.on("error", reject);
            feed();
          }),
      ),
    );
    return replies;
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.postMessage({ type: "stop" } satisfies WorkerRequest);
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
