/**
 * The `--recovery` flag: `filesystem:DIR`, `zookeeper:HOST:PORT[,HOST:PORT...][/root]` or `none`
 * (Spark's `spark.deploy.recoveryMode` with `recoveryDirectory` or `zookeeper.url`/`zookeeper.dir`).
 */
import { resolve } from "node:path";
import { DEFAULT_ZK_ROOT, normalizeRoot } from "./zookeeper.js";

export type RecoverySpec =
  | { mode: "none" }
  | { mode: "filesystem"; dir: string }
  | { mode: "zookeeper"; connectString: string; root: string };

export class RecoverySpecError extends Error {}

const USAGE = "expected filesystem:DIR, zookeeper:HOST:PORT[,HOST:PORT...][/root] or none";

/** Parses a recovery spec; a relative DIR is resolved against `cwd`. Throws RecoverySpecError. */
export function parseRecoverySpec(spec: string, cwd: string = process.cwd()): RecoverySpec {
  if (spec === "none") return { mode: "none" };
  const colon = spec.indexOf(":");
  if (colon < 0) throw new RecoverySpecError(`recovery ${JSON.stringify(spec)}: no mode; ${USAGE}`);
  const mode = spec.slice(0, colon);
  const rest = spec.slice(colon + 1);
  switch (mode) {
    case "filesystem": {
      if (rest.trim() === "") throw new RecoverySpecError(`recovery ${JSON.stringify(spec)}: missing directory; ${USAGE}`);
      return { mode: "filesystem", dir: resolve(cwd, rest) };
    }
    case "zookeeper":
      return parseZooKeeper(spec, rest);
    default:
      throw new RecoverySpecError(`recovery ${JSON.stringify(spec)}: unknown mode ${JSON.stringify(mode)}; ${USAGE}`);
  }
}

function parseZooKeeper(spec: string, rest: string): RecoverySpec {
  const slash = rest.indexOf("/");
  const hosts = slash < 0 ? rest : rest.slice(0, slash);
  const rootText = slash < 0 ? DEFAULT_ZK_ROOT : rest.slice(slash);
  if (hosts === "") throw new RecoverySpecError(`recovery ${JSON.stringify(spec)}: missing HOST:PORT; ${USAGE}`);
  for (const server of hosts.split(",")) {
    const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d+)$/.exec(server);
    if (!match) throw new RecoverySpecError(`recovery ${JSON.stringify(spec)}: ${JSON.stringify(server)} is not HOST:PORT; ${USAGE}`);
    const port = Number(match[2]);
    if (port < 1 || port > 65535) throw new RecoverySpecError(`recovery ${JSON.stringify(spec)}: port ${match[2]} is out of range 1-65535`);
  }
  let root: string;
  try {
    root = rootText === "/" ? "/" : normalizeRoot(rootText);
  } catch (error) {
    throw new RecoverySpecError(`recovery ${JSON.stringify(spec)}: ${(error as Error).message}`);
  }
  return { mode: "zookeeper", connectString: hosts, root: root === "" ? "/" : root };
}
