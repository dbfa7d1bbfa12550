/**
 * The config file (JSON): every option a flag or FLINT_PROTOCOL_CONFIG sets, per process kind, so
 * that a machine's set-up lives in one file (`--config FILE`, else /etc/flint/flint.json when it
 * exists). Checked whole on load; an error names the key (`worker.port: ...`). Flags override the
 * file; FLINT_PROTOCOL_CONFIG overrides its `protocol` section.
 *
 *   {
 *     "secretFile": "/etc/flint/secret",
 *     "protocol": { "workerTimeoutMs": 60000 },
 *     "master": { "host": "0.0.0.0", "port": 7077, "advertisedHost": "m1.example.com", "recovery": "filesystem:/var/lib/flint/recovery", "webHost": "127.0.0.1", "webPort": 8080 },
 *     "worker": { "masters": "flint://m1.example.com:7077", "host": "0.0.0.0", "port": 7078, "cores": 8, "memory": "16g", "workDir": "/var/lib/flint/work",
 *                 "executorPorts": "40100-40199", "driverPorts": "40200-40209", "cleanup": { "enabled": true, "intervalMs": 1800000, "appDataTtlMs": 604800000 } },
 *     "submit": { "master": "flint://m1.example.com:7077", "driverPorts": "40000-40099" },
 *     "status": { "master": "flint://m1.example.com:7077" }
 *   }
 */
import { existsSync, readFileSync } from "node:fs";
import { resolveConfig, type ProtocolConfig } from "../protocol/config.js";
import { parsePortRange } from "./portRange.js";

/** When a worker removes finished apps' and drivers' work directories (Spark's spark.worker.cleanup.*). */
export interface WorkDirCleanupPolicy {
  /** spark.worker.cleanup.enabled (Spark: false; flint: true). */
  enabled: boolean;
  /** spark.worker.cleanup.interval (1800 s): how often the sweep runs. */
  intervalMs: number;
  /** spark.worker.cleanup.appDataTtl (7 days): a directory with no file newer than this goes. */
  appDataTtlMs: number;
}

export const DEFAULT_CONFIG_FILE = "/etc/flint/flint.json";

export class ConfigFileError extends Error {}

type Kind = "string" | "port" | "count" | "memory" | "portRange" | "masters" | "durationMs" | "webPort" | "switch" | "deployMode";

/** Each section's keys, their kinds, and the flag each one stands for. */
const SECTIONS = {
  master: {
    host: "string",
    port: "port",
    statusPort: "port",
    advertisedHost: "string",
    recovery: "string",
    zkSessionTimeoutMs: "durationMs",
    logFile: "string",
    webHost: "string",
    webPort: "webPort",
  },
  worker: {
    masters: "masters",
    host: "string",
    port: "port",
    advertisedHost: "string",
    cores: "count",
    memory: "memory",
    workDir: "string",
    executorCpus: "string",
    logFile: "string",
    webHost: "string",
    webPort: "webPort",
    executorPorts: "portRange",
    driverPorts: "portRange",
    lowLatency: "switch",
  },
  submit: {
    master: "masters",
    deployMode: "deployMode",
    supervise: "switch",
    name: "string",
    executorCores: "count",
    executorMemory: "memory",
    maxCores: "count",
    driverCores: "count",
    driverMemory: "memory",
    quiet: "switch",
    advertisedHost: "string",
    driverPorts: "portRange",
    webHost: "string",
    webPort: "webPort",
  },
  status: { master: "masters" },
} as const satisfies Record<string, Record<string, Kind>>;

export type Section = keyof typeof SECTIONS;

const TOP_KEYS = ["$schema", "comment", "secretFile", "protocol", ...Object.keys(SECTIONS)];

export interface ConfigFile {
  path: string;
  secretFile?: string;
  protocol: Partial<ProtocolConfig>;
  /** Per section, the options as the flags would give them (`--work-dir /x` is `{ "work-dir": "/x" }`). */
  flags: Record<Section, Record<string, string>>;
  /** Per section, the flags without a value the file turns on (`"supervise": true` is `--supervise`). */
  switches: Record<Section, string[]>;
  cleanup?: WorkDirCleanupPolicy;
}

/** camelCase key to its flag's name: workDir -> work-dir, zkSessionTimeoutMs -> zk-session-timeout. */
export const flagOf = (key: string): string => key.replace(/Ms$/, "").replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `--config FILE`, else the default file when it exists, else none. */
export function loadConfigFile(explicit: string | undefined): ConfigFile | undefined {
  if (explicit === undefined && !existsSync(DEFAULT_CONFIG_FILE)) return undefined;
  const path = explicit ?? DEFAULT_CONFIG_FILE;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigFileError(`${path}: cannot read it: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigFileError(`${path}: not JSON: ${(err as Error).message}`);
  }
  return checkConfig(raw, path);
}

export function checkConfig(raw: unknown, path: string): ConfigFile {
  const fail = (key: string, why: string): never => {
    throw new ConfigFileError(`${path}: ${key}: ${why}`);
  };
  if (!isObject(raw)) return fail("(top)", "must be a JSON object");
  for (const key of Object.keys(raw))
    if (!TOP_KEYS.includes(key))
      fail(key, `not a key${suggest(key, TOP_KEYS)} (keys: ${TOP_KEYS.filter((k) => !k.startsWith("$")).join(", ")})`);
  const out: ConfigFile = {
    path,
    protocol: {},
    flags: { master: {}, worker: {}, submit: {}, status: {} },
    switches: { master: [], worker: [], submit: [], status: [] },
  };
  if (raw["secretFile"] !== undefined) {
    if (typeof raw["secretFile"] !== "string" || raw["secretFile"] === "") fail("secretFile", "must be a file name");
    out.secretFile = raw["secretFile"] as string;
  }
  if (raw["protocol"] !== undefined) {
    const protocol = raw["protocol"];
    if (!isObject(protocol)) return fail("protocol", "must be an object of protocol settings (src/protocol/config.ts)");
    const known = Object.keys(resolveConfig({}));
    for (const key of Object.keys(protocol))
      if (!known.includes(key)) fail(`protocol.${key}`, `not a protocol setting${suggest(key, known)}`);
    try {
      resolveConfig(protocol as Partial<ProtocolConfig>);
    } catch (err) {
      fail("protocol", (err as Error).message.replace(/^invalid flint config: /, ""));
    }
    out.protocol = protocol as Partial<ProtocolConfig>;
  }
  for (const section of Object.keys(SECTIONS) as Section[]) {
    const given = raw[section];
    if (given === undefined) continue;
    if (!isObject(given)) return fail(section, "must be an object");
    const spec: Record<string, Kind> = SECTIONS[section];
    const allowed = [...Object.keys(spec), ...(section === "worker" ? ["cleanup"] : [])];
    for (const [key, value] of Object.entries(given)) {
      const where = `${section}.${key}`;
      if (section === "worker" && key === "cleanup") {
        out.cleanup = checkCleanup(value, where, fail);
        continue;
      }
      const kind = spec[key];
      if (kind === undefined) return fail(where, `not a key${suggest(key, allowed)} (keys: ${allowed.join(", ")})`);
      if (kind === "switch") {
        if (typeof value !== "boolean") fail(where, `must be true or false, not ${JSON.stringify(value)}`);
        if (value === true) out.switches[section].push(flagOf(key));
        continue;
      }
      out.flags[section][flagOf(key)] = checkValue(kind, value, where, fail);
    }
  }
  return out;
}

function checkValue(kind: Kind, value: unknown, where: string, fail: (key: string, why: string) => never): string {
  const integer = (min: number, max: number): string => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
      fail(where, `must be a whole number from ${min} to ${max}, not ${JSON.stringify(value)}`);
    return String(value);
  };
  switch (kind) {
    case "string":
    case "masters":
      if (typeof value !== "string" || value.trim() === "") fail(where, `must be a non-empty string, not ${JSON.stringify(value)}`);
      if (kind === "masters" && !/^flint:\/\//.test(value as string))
        fail(where, `must be a master URL such as flint://host:7077, not ${JSON.stringify(value)}`);
      return value as string;
    case "port":
      return integer(0, 65535);
    case "webPort":
      if (value === "off") return "off";
      return integer(0, 65535);
    case "count":
      return integer(1, 10_000_000);
    case "durationMs":
      return `${integer(1, 86_400_000)}ms`; // the command line's durations carry a unit
    case "memory":
      if (typeof value === "number") return integer(1, 1 << 30);
      if (typeof value !== "string" || !/^[0-9]+[kmgt]?b?$/i.test(value.trim()))
        fail(where, `must be a size such as 512m or 8g (or MiB as a number), not ${JSON.stringify(value)}`);
      return value as string;
    case "deployMode":
      if (value !== "client" && value !== "cluster") fail(where, `must be "client" or "cluster", not ${JSON.stringify(value)}`);
      return value as string;
    case "switch":
      return fail(where, "a switch has no value"); // handled by the caller
    case "portRange":
      if (typeof value !== "string") fail(where, `must be a port range such as "40000-40099", not ${JSON.stringify(value)}`);
      try {
        parsePortRange(value as string);
      } catch (err) {
        fail(where, (err as Error).message);
      }
      return value as string;
  }
}

function checkCleanup(value: unknown, where: string, fail: (key: string, why: string) => never): WorkDirCleanupPolicy {
  if (!isObject(value)) return fail(where, "must be an object with enabled, intervalMs, appDataTtlMs");
  const keys = ["enabled", "intervalMs", "appDataTtlMs"];
  for (const key of Object.keys(value))
    if (!keys.includes(key)) fail(`${where}.${key}`, `not a key${suggest(key, keys)} (keys: ${keys.join(", ")})`);
  const policy = { enabled: true, intervalMs: 30 * 60_000, appDataTtlMs: 7 * 24 * 3_600_000 };
  if (value["enabled"] !== undefined) {
    if (typeof value["enabled"] !== "boolean") fail(`${where}.enabled`, "must be true or false");
    policy.enabled = value["enabled"] as boolean;
  }
  for (const key of ["intervalMs", "appDataTtlMs"] as const) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < (key === "intervalMs" ? 1000 : 0) || v > 10 * 365 * 86_400_000)
      fail(`${where}.${key}`, `must be a whole number of ms${key === "intervalMs" ? " of at least 1000" : ""}, not ${JSON.stringify(v)}`);
    policy[key] = v as number;
  }
  return policy;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function suggest(key: string, known: readonly string[]): string {
  const lower = key.toLowerCase();
  let near: string | undefined;
  let best = 3;
  for (const k of known) {
    const d = distance(k.toLowerCase(), lower);
    if (d < best) [near, best] = [k, d];
  }
  return near !== undefined ? ` (did you mean ${near}?)` : "";
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}
