/**
 * Reads a directory of flight-recorder journals (src/real/journal/format.ts) and checks their
 * shape: a known format and protocol version, whole JSON lines, steps numbered without a gap.
 * Anything else is a JournalError naming the file, the line and the step it was at.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { JOURNAL_FORMAT_VERSION, parseSegmentFileName, type JournalHeader, type JournalRecord } from "../real/journal/format.js";

export class JournalError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    /** The last step read before the problem (0: none). */
    readonly afterStep: number,
    problem: string,
  ) {
    super(`${file}:${line}: ${problem}${afterStep > 0 ? ` (after step ${afterStep})` : ""}`);
    this.name = "JournalError";
  }
}

/** One node's journal: its segments, oldest first (rotation may have deleted the ones before). */
export interface NodeJournal {
  /** The node's address (the name other journals know it by). */
  node: string;
  role: string;
  pid: number;
  header: JournalHeader;
  /** The file the header came from (the oldest segment still there). */
  file: string;
  records: Array<JournalRecord & { file: string }>;
}

const ROLES = new Set(["master", "worker", "driver", "executor"]);

function parseLine(file: string, lineNo: number, text: string, afterStep: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new JournalError(file, lineNo, afterStep, `corrupt record: ${(err as Error).message}`);
  }
}

/** Whether `m` is a message id as the recorder writes it: [pid > 0, step >= 0, index >= 0], integers. */
function isMessageId(m: unknown): m is [number, number, number] {
  return Array.isArray(m) && m.length === 3 && m.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) && (m[0] as number) > 0;
}

/** The step number of a record line, 0 when it has none. */
function stepOf(line: string): number {
  const m = /^\{"s":(\d+),/.exec(line);
  return m ? Number(m[1]) : 0;
}

function checkHeader(file: string, value: unknown, protocolVersion: number): JournalHeader {
  if (typeof value !== "object" || value === null || !("flintJournal" in value))
    throw new JournalError(file, 1, 0, "not a flint journal (its first line has no 'flintJournal' header)");
  const h = value as JournalHeader;
  if (h.flintJournal !== JOURNAL_FORMAT_VERSION)
    throw new JournalError(file, 1, 0, `journal format ${String(h.flintJournal)}; this flint reads format ${JOURNAL_FORMAT_VERSION}`);
  if (h.protocolVersion !== protocolVersion)
    throw new JournalError(
      file,
      1,
      0,
      `written by protocol version ${String(h.protocolVersion)}; the code replaying it speaks version ${protocolVersion}`,
    );
  if (!ROLES.has(h.role)) throw new JournalError(file, 1, 0, `unknown role '${String(h.role)}'`);
  if (typeof h.node !== "string" || typeof h.segment !== "number")
    throw new JournalError(file, 1, 0, "header without a node or a segment number");
  if (h.segment === 0 && (typeof h.initNow !== "number" || !Array.isArray(h.initEffects)))
    throw new JournalError(file, 1, 0, "first segment without init's now and effects");
  if (h.segment > 0 && typeof h.firstStep !== "number") throw new JournalError(file, 1, 0, "later segment without its first step number");
  return h;
}

/** The records of one segment file; `expectStep` is the step number its first record must have (undefined: any). */
function readSegment(
  path: string,
  protocolVersion: number,
  expectStep: number | undefined,
): { header: JournalHeader; records: Array<JournalRecord & { file: string }> } {
  const text = readFileSync(path, "utf8");
  if (text.length === 0) throw new JournalError(path, 1, 0, "empty file (no header)");
  const lines = text.split("\n");
  const cut = lines.pop();
  if (cut !== undefined && cut.length > 0) {
    // The last line has no newline: the writer died in the middle of it, or the file was cut.
    const lastStep = lines.length > 1 ? stepOf(lines[lines.length - 1]!) : 0;
    throw new JournalError(path, lines.length + 1, lastStep, "truncated: the last record is incomplete");
  }
  const header = checkHeader(path, parseLine(path, 1, lines[0]!, 0), protocolVersion);
  const records: Array<JournalRecord & { file: string }> = [];
  let next = expectStep ?? (header.segment === 0 ? 1 : header.firstStep!);
  if (header.segment > 0 && header.firstStep !== next)
    throw new JournalError(path, 1, next - 1, `segment starts at step ${String(header.firstStep)}, expected ${next}`);
  for (let i = 1; i < lines.length; i++) {
    const r = parseLine(path, i + 1, lines[i]!, next - 1) as JournalRecord;
    if (
      typeof r !== "object" ||
      r === null ||
      typeof r.s !== "number" ||
      typeof r.t !== "number" ||
      typeof r.i !== "object" ||
      !Array.isArray(r.e)
    ) {
      throw new JournalError(path, i + 1, next - 1, "corrupt record: not a step {s, t, i, e}");
    }
    if (r.m !== undefined && !isMessageId(r.m))
      throw new JournalError(path, i + 1, next - 1, `corrupt record: its message id 'm' is ${JSON.stringify(r.m)}, not [pid, step, index]`);
    if (r.s !== next) throw new JournalError(path, i + 1, next - 1, `step ${r.s} where step ${next} was expected (a record is missing)`);
    next++;
    records.push(Object.assign(r, { file: path }));
  }
  return { header, records };
}

export interface ReadOptions {
  /**
   * Called with a node's last segment when that file is empty (its process was killed before the
   * writer's first flush), which is then left out instead of refused (`flint view` draws the rest).
   */
  onEmpty?: (file: string) => void;
}

/** Every node's journal in `dir`, in file-name order. */
export function readJournalDir(dir: string, protocolVersion: number, options: ReadOptions = {}): NodeJournal[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a directory");
    names = readdirSync(dir);
  } catch (err) {
    throw new Error(`cannot read the journal directory ${dir}: ${(err as Error).message}`);
  }
  const byBase = new Map<string, number[]>();
  for (const name of names.sort()) {
    const parsed = parseSegmentFileName(name);
    if (!parsed) continue;
    const list = byBase.get(parsed.base) ?? [];
    list.push(parsed.segment);
    byBase.set(parsed.base, list);
  }
  if (byBase.size === 0) throw new Error(`${dir} holds no journal (*.N.jsonl files); record one with --journal ${dir}`);
  const out: NodeJournal[] = [];
  for (const [base, segments] of [...byBase].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    segments.sort((a, b) => a - b);
    let journal: NodeJournal | undefined;
    for (let k = 0; k < segments.length; k++) {
      const segment = segments[k]!;
      const path = join(dir, `${base}.${segment}.jsonl`);
      if (journal !== undefined && segment !== segments[k - 1]! + 1)
        throw new JournalError(path, 1, journal.records.at(-1)?.s ?? 0, `segment ${segment - 1} is missing`);
      if (options.onEmpty !== undefined && k === segments.length - 1 && statSync(path).size === 0) {
        options.onEmpty(path);
        break;
      }
      const expect = journal === undefined ? undefined : (journal.records.at(-1)?.s ?? (journal.header.firstStep ?? 1) - 1) + 1;
      const { header, records } = readSegment(path, protocolVersion, expect);
      if (journal === undefined) journal = { node: header.node, role: header.role, pid: header.pid, header, file: path, records };
      else journal.records.push(...records);
    }
    if (journal !== undefined) out.push(journal);
  }
  if (out.length === 0) throw new Error(`${dir} holds only empty journals (their processes were killed before they wrote anything)`);
  return out;
}
