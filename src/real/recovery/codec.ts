/**
 * The on-disk / in-znode form of one recovery record: a small JSON header naming the format, its
 * version and the key, so a file from another program, an older format or the wrong name is
 * recognised instead of being misread.
 */
import { recordKey, type PersistedRecord, type StoredRecords } from "../../protocol/records.js";

export const RECORD_FORMAT = "flint-record";
export const RECORD_VERSION = 1;

/** Keys are `app_<id>`, `driver_<id>`, `worker_<id>`; a key is a file or znode name, so no `/` or NUL. */
const KEY_PATTERN = /^(app|driver|worker)_[^/\0]+$/;

export function isRecordKey(name: string): boolean {
  return KEY_PATTERN.test(name);
}

/** Throws (a programmer error) when the key is malformed or names another record. */
export function checkKey(key: string, record: PersistedRecord): void {
  if (!isRecordKey(key)) throw new Error(`recovery key ${JSON.stringify(key)} is not app_/driver_/worker_<id>`);
  const expected = recordKey(record);
  if (key !== expected) throw new Error(`recovery key ${key} does not match its record (${expected})`);
}

export function encodeRecord(key: string, record: PersistedRecord): string {
  return JSON.stringify({ format: RECORD_FORMAT, version: RECORD_VERSION, key, record }) + "\n";
}

export type Decoded = { ok: true; record: PersistedRecord } | { ok: false; why: string };

/** Validates the header and the record's shape; `why` is a short readable reason. */
export function decodeRecord(key: string, text: string): Decoded {
  if (text.trim() === "") return { ok: false, why: "empty" };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, why: `not valid JSON (${(error as Error).message})` };
  }
  if (!isObject(parsed) || parsed.format !== RECORD_FORMAT) return { ok: false, why: `not a ${RECORD_FORMAT} (wrong format)` };
  if (parsed.version !== RECORD_VERSION) return { ok: false, why: `unsupported version ${JSON.stringify(parsed.version)}` };
  if (parsed.key !== key) return { ok: false, why: `holds key ${JSON.stringify(parsed.key)}, not ${key}` };
  const record = parsed.record;
  if (!isRecordShape(record)) return { ok: false, why: "record has the wrong shape" };
  if (recordKey(record) !== key) return { ok: false, why: `record is ${recordKey(record)}, not ${key}` };
  return { ok: true, record };
}

export function emptyRecords(): StoredRecords {
  return { apps: [], drivers: [], workers: [] };
}

export function addRecord(into: StoredRecords, record: PersistedRecord): void {
  switch (record.kind) {
    case "app":
      into.apps.push(record.app);
      break;
    case "driver":
      into.drivers.push(record.driver);
      break;
    case "worker":
      into.workers.push(record.worker);
      break;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks the fields the master's recovery reads (ids and the descriptions it needs), not every detail. */
function isRecordShape(value: unknown): value is PersistedRecord {
  if (!isObject(value)) return false;
  switch (value.kind) {
    case "app":
      return (
        isObject(value.app) && typeof value.app.id === "string" && isObject(value.app.desc) && typeof value.app.driverAddress === "string"
      );
    case "driver":
      return isObject(value.driver) && typeof value.driver.id === "string" && isObject(value.driver.desc);
    case "worker":
      return (
        isObject(value.worker) &&
        typeof value.worker.id === "string" &&
        typeof value.worker.host === "string" &&
        typeof value.worker.port === "number" &&
        typeof value.worker.cores === "number" &&
        typeof value.worker.memoryMb === "number"
      );
    default:
      return false;
  }
}
