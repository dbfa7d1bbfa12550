/**
 * The wire codec for `Message`: UTF-8 JSON, one message per frame. Decoding trusts nothing: it
 * checks that the payload is a JSON object whose `type` is one of MESSAGE_TYPES and whose fields
 * have the types messages.ts declares (the table below), and reports what was wrong as a value.
 * Unknown extra fields are tolerated (a newer peer may add some); missing or mistyped ones are not.
 * Ids (appId, driverId, workerId, executorId) must match ID_PATTERN where they enter: a worker makes
 * directories named after them, so one like `../../x` must never get past the codec.
 * JSON was measured before choosing it (bench/codec.js; numbers in the report of issue 5).
 */
import { MESSAGE_TYPES, type Message, type MessageType } from "../protocol/messages.js";

export type CodecError =
  | { kind: "malformed-json"; detail: string }
  | { kind: "not-an-object"; got: string }
  | { kind: "missing-type" }
  | { kind: "unknown-type"; type: string }
  | { kind: "bad-field"; type: string; field: string; expected: string; got: string };

export function describeCodecError(error: CodecError): string {
  switch (error.kind) {
    case "malformed-json":
      return `malformed JSON: ${error.detail}`;
    case "not-an-object":
      return `payload is ${error.got}, not a JSON object`;
    case "missing-type":
      return "message has no string 'type'";
    case "unknown-type":
      return `unknown message type ${JSON.stringify(error.type.slice(0, 64))}`;
    case "bad-field":
      return `${error.type}.${error.field}: expected ${error.expected}, got ${error.got}`;
  }
}

export type DecodeMessageResult = { ok: true; message: Message } | { ok: false; error: CodecError };

// ---- Field specs -----------------------------------------------------------------------------

type Spec =
  | { t: "string" | "id" | "number" | "integer" | "boolean" | "any" }
  | { t: "enum"; values: readonly string[] }
  | { t: "array"; of: Spec }
  | { t: "object"; fields: Schema }
  /** An object discriminated by `tag`, one schema per tag value. */
  | { t: "union"; tag: string; variants: Record<string, Schema> }
  | { t: "optional"; of: Spec };
type Schema = Record<string, Spec>;

/**
 * What an id may look like: a letter or digit, then letters, digits, `.`, `_`, `:` or `-`, at most
 * 200 characters in all. No `/`, no `\`, never `.` or `..`: safe as one path component. (Ids flint
 * makes: `app-<stamp>-0000`, `driver-<stamp>-0000`, `worker-<stamp>-<host>-<port>`, `0`.)
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;

/** Whether `text` is a valid id (ID_PATTERN). */
export function isValidId(text: unknown): text is string {
  return typeof text === "string" && ID_PATTERN.test(text);
}

const str: Spec = { t: "string" };
const id: Spec = { t: "id" };
const num: Spec = { t: "number" };
const int: Spec = { t: "integer" };
const bool: Spec = { t: "boolean" };
const any: Spec = { t: "any" };
const oneOf = (...values: string[]): Spec => ({ t: "enum", values });
const arr = (of: Spec): Spec => ({ t: "array", of });
const obj = (fields: Schema): Spec => ({ t: "object", fields });
const opt = (of: Spec): Spec => ({ t: "optional", of });
const union = (tag: string, variants: Record<string, Schema>): Spec => ({ t: "union", tag, variants });

const executorState = oneOf("LAUNCHING", "RUNNING", "KILLED", "FAILED", "LOST", "EXITED");
const taskState = oneOf("LAUNCHING", "RUNNING", "FINISHED", "FAILED", "KILLED", "LOST");
const driverState = oneOf("SUBMITTED", "RUNNING", "FINISHED", "RELAUNCHING", "UNKNOWN", "KILLED", "FAILED", "ERROR");

const applicationDescription = obj({
  name: str,
  maxCores: opt(int),
  memoryPerExecutorMb: num,
  coresPerExecutor: opt(int),
  initialExecutorLimit: opt(int),
  command: obj({}),
});
const driverDescription = obj({ cores: int, memoryMb: num, supervise: bool, command: obj({}) });
const executorDescription = obj({ appId: id, execId: int, cores: int, memoryMb: num, state: executorState });
const taskDescription = obj({
  taskId: int,
  attemptNumber: int,
  executorId: id,
  taskSetId: str,
  index: int,
  cpus: int,
  payload: obj({ data: any, sizeBytes: num }),
});
const taskFailure = union("kind", {
  exception: { message: str, stack: opt(str), notSerializable: opt(bool) },
  killed: { reason: str },
});
const statusData = union("kind", {
  none: {},
  result: { value: any, sizeBytes: num },
  failure: { failure: taskFailure },
});

/** The required (and optional) fields of every message, besides `type`. */
export const MESSAGE_FIELDS: Readonly<Record<MessageType, Schema>> = {
  RegisterWorker: { workerId: id, host: str, port: int, workerAddress: str, cores: int, memoryMb: num, masterAddress: str },
  RegisteredWorker: { masterAddress: str, configuredMasterAddress: str, duplicate: bool },
  RegisterWorkerFailed: { message: str },
  MasterInStandby: {},
  Heartbeat: { workerId: id, workerAddress: str },
  ReconnectWorker: { masterUrl: str },
  WorkerLatestState: { workerId: id, executors: arr(executorDescription), driverIds: arr(id) },
  MasterChanged: { masterAddress: str },
  WorkerSchedulerStateResponse: { workerId: id, executors: arr(executorDescription), driverIds: arr(id) },
  LaunchExecutor: { masterUrl: str, appId: id, execId: int, appDesc: applicationDescription, driverAddress: str, cores: int, memoryMb: num },
  KillExecutor: { masterUrl: str, appId: id, execId: int },
  ExecutorStateChanged: { appId: id, execId: int, state: executorState, message: opt(str), exitStatus: opt(int) },
  ExecutorStateChangedResponse: { appId: id, execId: int, state: executorState },
  LaunchDriver: { driverId: id, desc: driverDescription },
  KillDriver: { driverId: id },
  DriverStateChanged: { driverId: id, state: driverState, exception: opt(str) },
  ApplicationFinished: { appId: id },
  RegisterApplication: { appDesc: applicationDescription, driverAddress: str },
  RegisteredApplication: { appId: id, masterAddress: str },
  UnregisterApplication: { appId: id },
  MasterChangeAcknowledged: { appId: id },
  ExecutorAdded: { execId: int, workerId: id, hostPort: str, cores: int, memoryMb: num },
  ExecutorUpdated: { execId: int, state: executorState, message: opt(str), exitStatus: opt(int), workerHost: opt(str) },
  ApplicationRemoved: { message: str },
  WorkerRemoved: { workerId: id, host: str, message: str },
  RequestExecutors: { appId: id, requestedTotal: int },
  RequestExecutorsResponse: { appId: id, acknowledged: bool },
  KillExecutors: { appId: id, executorIds: arr(id) },
  KillExecutorsResponse: { appId: id, acknowledged: bool },
  RequestSubmitDriver: { desc: driverDescription },
  SubmitDriverResponse: { masterAddress: str, success: bool, driverId: opt(id), message: str },
  RequestKillDriver: { driverId: id },
  KillDriverResponse: { masterAddress: str, driverId: id, success: bool, message: str },
  RequestDriverStatus: { driverId: id },
  DriverStatusResponse: { found: bool, state: opt(driverState), workerId: opt(id), workerHostPort: opt(str), exception: opt(str) },
  RegisterExecutor: { executorId: id, executorAddress: str, hostname: str, cores: int },
  RegisteredExecutor: {},
  RegisterExecutorFailed: { message: str },
  LaunchedExecutor: { executorId: id },
  StatusUpdate: { executorId: id, taskId: int, state: taskState, data: statusData, taskCpus: int },
  LaunchTask: { task: taskDescription },
  KillTask: { taskId: int, executorId: id, interruptThread: bool, reason: str },
  StopExecutor: {},
  RemoveExecutor: { executorId: id, reason: str },
  ExecutorHeartbeat: { executorId: id },
  HeartbeatResponse: { reregisterBlockManager: bool },
};

const KNOWN_TYPES: ReadonlySet<string> = new Set(MESSAGE_TYPES);

// ---- Encode / decode -------------------------------------------------------------------------

export function encodeMessage(message: Message): Buffer {
  return Buffer.from(JSON.stringify(message), "utf8");
}

export function decodeMessage(payload: Uint8Array): DecodeMessageResult {
  return decodeMessageText(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("utf8"));
}

/** `decodeMessage` of the payload's text (the transport keeps the text for the flight recorder). */
export function decodeMessageText(text: string): DecodeMessageResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: { kind: "malformed-json", detail: (err as Error).message.slice(0, 200) } };
  }
  return validateMessage(value);
}

/** Checks an already parsed value against the message table. */
export function validateMessage(value: unknown): DecodeMessageResult {
  if (!isPlainObject(value)) return { ok: false, error: { kind: "not-an-object", got: describe(value) } };
  const type = value["type"];
  if (typeof type !== "string") return { ok: false, error: { kind: "missing-type" } };
  if (!KNOWN_TYPES.has(type)) return { ok: false, error: { kind: "unknown-type", type } };
  const problem = checkFields(value, MESSAGE_FIELDS[type as MessageType], "");
  if (problem) return { ok: false, error: { kind: "bad-field", type, ...problem } };
  return { ok: true, message: value as unknown as Message };
}

interface FieldProblem {
  field: string;
  expected: string;
  got: string;
}

function checkFields(value: Record<string, unknown>, schema: Schema, path: string): FieldProblem | undefined {
  for (const field of Object.keys(schema)) {
    const problem = check(value[field], schema[field]!, path + field);
    if (problem) return problem;
  }
  return undefined;
}

function check(value: unknown, spec: Spec, path: string): FieldProblem | undefined {
  const bad = (expected: string): FieldProblem => ({ field: path, expected, got: describe(value) });
  switch (spec.t) {
    case "any":
      return value === undefined ? bad("a value") : undefined;
    case "string":
      return typeof value === "string" ? undefined : bad("a string");
    case "id":
      if (typeof value !== "string") return bad("a string");
      return ID_PATTERN.test(value) ? undefined : bad("an id (letters, digits, . _ : -, starting with a letter or digit, at most 200)");
    case "number":
      return typeof value === "number" && Number.isFinite(value) ? undefined : bad("a finite number");
    case "integer":
      return Number.isSafeInteger(value) ? undefined : bad("an integer");
    case "boolean":
      return typeof value === "boolean" ? undefined : bad("a boolean");
    case "enum":
      return typeof value === "string" && spec.values.includes(value) ? undefined : bad(`one of ${spec.values.join("|")}`);
    case "optional":
      return value === undefined || value === null ? undefined : check(value, spec.of, path);
    case "array": {
      if (!Array.isArray(value)) return bad("an array");
      for (let i = 0; i < value.length; i++) {
        const problem = check(value[i], spec.of, `${path}[${i}]`);
        if (problem) return problem;
      }
      return undefined;
    }
    case "object":
      if (!isPlainObject(value)) return bad("an object");
      return checkFields(value, spec.fields, path + ".");
    case "union": {
      if (!isPlainObject(value)) return bad("an object");
      const tag = value[spec.tag];
      const variant = typeof tag === "string" && Object.hasOwn(spec.variants, tag) ? spec.variants[tag] : undefined;
      if (!variant) return { field: `${path}.${spec.tag}`, expected: `one of ${Object.keys(spec.variants).join("|")}`, got: describe(tag) };
      return checkFields(value, variant, path + ".");
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value === undefined) return "nothing";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 32 ? value.slice(0, 32) + "..." : value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
