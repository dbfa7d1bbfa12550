/** A one-line progress bar on stderr for a job's tasks (redrawn in place on a terminal). */
import type { Progress } from "../../real/driver/api.js";

export interface ProgressBar {
  update(progress: Progress): void;
  /** Ends the bar (a terminal line is closed as each job completes). */
  done(): void;
}

export function progressBar(stream: NodeJS.WriteStream = process.stderr, width = 30): ProgressBar {
  const tty = stream.isTTY === true;
  let last = "";
  let lastDrawMs = 0;
  return {
    update(p) {
      const now = Date.now();
      const finished = p.tasksFinished >= p.tasksTotal;
      // On a terminal redraw at most every 50 ms; elsewhere print only the end of each job.
      if (!finished && (!tty || now - lastDrawMs < 50)) return;
      lastDrawMs = now;
      const filled = p.tasksTotal === 0 ? width : Math.round((p.tasksFinished / p.tasksTotal) * width);
      const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${p.tasksFinished}/${p.tasksTotal} tasks (${p.jobId})`;
      if (line === last) return;
      last = line;
      stream.write(tty ? `\r${line}` : `${line}\n`);
      if (finished && tty) stream.write("\n");
    },
    done() {
      if (tty && last !== "" && !last.startsWith("[" + "#".repeat(width) + "]")) stream.write("\n");
      last = "";
    },
  };
}
