/**
 * A test run leaves nothing behind: no process, no temporary folder.
 *
 * Before the run, this gives it a temporary directory of its own (TMPDIR, which test workers and
 * every process they start inherit, so `os.tmpdir()` points there) and notes the processes of
 * this checkout already running (their command line names its bin/flint.js or dist/, or the run's
 * temporary directory). After the run, a process of this checkout that was not there before, or
 * anything left in the run's temporary directory, fails the run, naming each one; they are killed
 * and removed first, so that the machine stays clean either way.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** How long processes that are on their way out get before they count as left behind. */
const SETTLE_MS = 5_000;
const POLL_MS = 100;

interface Proc {
  pid: number;
  cmdline: string;
}

function readProc(pid: string): Proc | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return undefined; // exited, only not reaped yet
    return { pid: Number(pid), cmdline: readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim() };
  } catch {
    return undefined; // gone meanwhile
  }
}

/** Live processes (other than this one) whose command line contains one of `marks`. */
export function processesMarked(marks: readonly string[]): Proc[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return []; // no /proc (not Linux): nothing to check
  }
  const out: Proc[] = [];
  for (const name of names) {
    if (!/^[0-9]+$/.test(name) || Number(name) === process.pid) continue;
    const proc = readProc(name);
    if (proc !== undefined && marks.some((mark) => proc.cmdline.includes(mark))) out.push(proc);
  }
  return out;
}

/** What the run left behind, after a grace period; kills and removes it. Empty when clean. */
export async function leftovers(
  runTmp: string,
  marks: readonly string[],
  before: ReadonlySet<number>,
  settleMs = SETTLE_MS,
): Promise<string[]> {
  const fresh = () => processesMarked(marks).filter((p) => !before.has(p.pid));
  let stray = fresh();
  for (const deadline = Date.now() + settleMs; stray.length > 0 && Date.now() < deadline; stray = fresh()) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const problems: string[] = [];
  for (const p of stray) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      // It ended on its own meanwhile.
    }
    problems.push(`process ${p.pid} still running (killed now): ${p.cmdline}`);
  }
  let entries: string[] = [];
  try {
    entries = readdirSync(runTmp);
  } catch {
    // Someone removed the whole directory: nothing left in it.
  }
  for (const entry of entries) problems.push(`temporary ${join(runTmp, entry)} left behind (removed now)`);
  rmSync(runTmp, { recursive: true, force: true });
  return problems;
}

export default function setup(): () => Promise<void> {
  const outerTmp = process.env["TMPDIR"];
  const runTmp = mkdtempSync(join(tmpdir(), "flint-test-run-"));
  process.env["TMPDIR"] = runTmp;
  const marks = [`${ROOT}bin/flint.js`, `${ROOT}dist/`, runTmp];
  const before = new Set(processesMarked(marks).map((p) => p.pid));
  return async () => {
    const problems = await leftovers(runTmp, marks, before);
    if (outerTmp === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = outerTmp;
    if (problems.length > 0) {
      // Vitest reports an error thrown here but keeps its exit status: set ours so the run fails.
      process.exitCode = 1;
      throw new Error(
        `the tests left ${problems.length} thing(s) behind; each test must stop what it starts and remove what it writes:\n  ${problems.join("\n  ")}`,
      );
    }
  };
}
