/**
 * The environment variables flint's commands read, each with the line its commands' --help shows
 * (a command lists the ones it reads in its spec's `environment`). The names come from the
 * modules that read them.
 */
import { CHILD_NODE_OPTIONS_ENV } from "../real/cluster/launcher.js";
import { PIN_EXECUTORS_ENV } from "../real/cluster/local.js";
import { LOG_LEVEL_ENV, PROTOCOL_ENV, REJECTION_LOG_ENV } from "../real/runtime.js";
import type { EnvironmentSpec } from "./args.js";

export const PROTOCOL_CONFIG: EnvironmentSpec = {
  name: PROTOCOL_ENV,
  help: 'JSON object of protocol overrides, e.g. {"workerTimeoutMs":5000}',
};
export const LOG_LEVEL: EnvironmentSpec = {
  name: LOG_LEVEL_ENV,
  help: "lowest level logged on stderr: debug, info (default), warn or error",
};
export const REJECTION_LOG_LINES: EnvironmentSpec = {
  name: REJECTION_LOG_ENV,
  help: "refused unauthenticated connections logged one by one per interval\n(a number, or all; the rest are counted)",
};
export const CHILD_NODE_OPTIONS: EnvironmentSpec = {
  name: CHILD_NODE_OPTIONS_ENV,
  help: "extra node options for executor and driver processes, e.g. --cpu-prof",
};
export const PIN_EXECUTORS: EnvironmentSpec = {
  name: PIN_EXECUTORS_ENV,
  help: "0 leaves executors unpinned (default: each worker's executors get\nCPUs of their own when workers x cores fit in the CPUs)",
};
/** chalk's: the timeline's colours. */
export const FORCE_COLOR: EnvironmentSpec = {
  name: "FORCE_COLOR",
  help: "0 turns colours off, 1-3 turns them on (default: on when stdout is a\nterminal; TERM=dumb turns them off)",
};
