/**
 * The reducers a replay runs: this build's, or another build's (`flint replay --code PATH`, PATH
 * being a flint checkout or package with a built dist/), loaded by dynamic import so that CI can
 * replay the journals of one version against the code of the next.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Role } from "../protocol/io.js";

export type AnyRole = Role<any, any>;

export interface ReplayCode {
  /** Where the code came from (the dist/ folder). */
  dist: string;
  roles: Record<"master" | "worker" | "driver" | "executor", AnyRole>;
  /** The wire protocol version it speaks: journals of another version are refused. */
  protocolVersion: number;
}

/** This build's dist/ (this file is dist/replay/code.js). */
const OWN_DIST = fileURLToPath(new URL("../", import.meta.url));

/** The dist/ folder of `path` (a checkout or package holding dist/, or a dist/ itself). */
export function distOf(path: string): string {
  const root = resolve(path);
  for (const candidate of [join(root, "dist"), root]) if (existsSync(join(candidate, "protocol", "master", "index.js"))) return candidate;
  throw new Error(`--code ${path}: no built flint there (looked for dist/protocol/master/index.js; run npm run build in it)`);
}

async function importRole(dist: string, folder: string, name: string): Promise<AnyRole> {
  const file = join(dist, "protocol", folder, "index.js");
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const role = mod[name] as AnyRole | undefined;
  if (role === undefined || typeof role.step !== "function" || typeof role.init !== "function")
    throw new Error(`${file} exports no '${name}' role`);
  return role;
}

export async function loadCode(path?: string): Promise<ReplayCode> {
  const dist = path === undefined ? OWN_DIST : distOf(path);
  const handshake = (await import(pathToFileURL(join(dist, "real", "handshake.js")).href)) as { PROTOCOL_VERSION?: unknown };
  if (typeof handshake.PROTOCOL_VERSION !== "number") throw new Error(`${dist}: real/handshake.js exports no PROTOCOL_VERSION`);
  return {
    dist,
    protocolVersion: handshake.PROTOCOL_VERSION,
    roles: {
      master: await importRole(dist, "master", "master"),
      worker: await importRole(dist, "worker", "worker"),
      driver: await importRole(dist, "driver", "driver"),
      executor: await importRole(dist, "executor", "executor"),
    },
  };
}
