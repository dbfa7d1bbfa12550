/**
 * The flight recorder's file format (one JSON value per line, UTF-8). A journal segment starts with
 * a header line, then one record per step of the node's reducer, in the order they ran:
 *
 *   {"flintJournal":1,"protocolVersion":3,"role":"master","node":"flint://...","pid":1,"segment":0,
 *    "config":{...},"initNow":123,"initEffects":[...]}                  (segment 0: replay calls init)
 *   {"flintJournal":1,...,"segment":3,"firstStep":8001,"state":{...}}     (later segments: a snapshot)
 *   {"s":1,"t":124,"i":{...input...},"e":[...effects...]}
 *   {"s":2,"t":125,"i":{"type":"message",...},"e":[...],"m":[4242,17,0]}
 *
 * `s` is the step number (1, 2, ... with no gap), `t` the `ctx.now` the step was given, `i` the
 * input and `e` the effects the step returned. `m`, on a step whose input is a message that came
 * with an id (src/real/framing.ts), is that id: [the sender's pid, the sender's step, the index of
 * the send in that step's effects]. A send's own id is not written: it is the journal's pid, the
 * record's `s` (0 for init's effects) and the effect's index in `e`. So a receipt names its send
 * exactly, and `flint replay` pairs them by id (journals without `m` are paired by content, per
 * connection in order). That is everything a step depends on: a role's
 * state is built by `init(config, {now})` and changed only by `step(state, input, {now})`, so
 * replaying the records re-creates every state and must give the same effects.
 */

/** Version of this file format: a reader refuses any other. */
export const JOURNAL_FORMAT_VERSION = 1;

/** Environment variable through which a process tells the processes it starts where to journal ("off": nowhere). */
export const JOURNAL_ENV = "FLINT_JOURNAL";

export interface JournalHeader {
  flintJournal: number;
  /** The wire protocol version of the build that wrote it (handshake.ts). */
  protocolVersion: number;
  role: string;
  /** The node's address: the name other journals know it by. */
  node: string;
  pid: number;
  /** 0 for the first segment of a node's journal; each rotation adds one. */
  segment: number;
  config: unknown;
  /** Segment 0: the `now` init was given, and the effects it returned. */
  initNow?: number;
  initEffects?: unknown[];
  /** Later segments: the number of the first step recorded in it, and the state before that step. */
  firstStep?: number;
  state?: unknown;
}

export interface JournalRecord {
  s: number;
  t: number;
  i: unknown;
  e: unknown[];
  /** The received message's id: [sender pid, sender step, effect index] (absent: no id came with it). */
  m?: [number, number, number];
}

/** Segment file name: `<role>-<host>_<port>-<pid>.<segment>.jsonl` (a name safe on every file system). */
export function segmentFileName(role: string, node: string, pid: number, segment: number): string {
  const where = node.replace(/^flint:\/\//, "").replace(/[^A-Za-z0-9.-]/g, "_");
  return `${role}-${where}-${pid}.${segment}.jsonl`;
}

/** What a segment file name says: its node's journal (every segment but the number) and its segment number. */
export function parseSegmentFileName(name: string): { base: string; segment: number } | undefined {
  const m = /^(.+)\.(\d+)\.jsonl$/.exec(name);
  return m ? { base: m[1]!, segment: Number(m[2]) } : undefined;
}
