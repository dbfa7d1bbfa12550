/**
 * Application modules shipped by content hash. The driver puts `{ moduleHash, moduleName,
 * moduleSource }` in its ApplicationDescription's opaque `command`; an executor (or a cluster-mode
 * driver) writes the source once to `<dir>/modules/<hash>.mjs` and imports it from there. The
 * module must be self-contained: imports of Node built-ins and absolute URLs work, relative ones
 * and packages do not resolve from the cache directory.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export interface ShippedModule {
  moduleHash: string;
  moduleName: string;
  moduleSource: string;
}

export const hashSource = (source: string): string => createHash("sha256").update(source, "utf8").digest("hex");

/** Reads an application module from disk, ready to ship. */
export function loadModule(path: string): ShippedModule {
  const full = resolve(path);
  let moduleSource: string;
  try {
    moduleSource = readFileSync(full, "utf8");
  } catch (err) {
    throw new Error(`cannot read the application module ${path}: ${(err as Error).message}`);
  }
  return { moduleHash: hashSource(moduleSource), moduleName: basename(full), moduleSource };
}

/** Takes the shipped module out of an opaque command, or says what is missing. */
export function shippedModuleOf(command: Record<string, unknown>): ShippedModule {
  const { moduleHash, moduleName, moduleSource } = command;
  if (typeof moduleHash !== "string" || typeof moduleSource !== "string")
    throw new Error("the application description carries no module (moduleHash, moduleSource)");
  if (hashSource(moduleSource) !== moduleHash) throw new Error(`the shipped module does not match its hash ${moduleHash}`);
  return { moduleHash, moduleName: typeof moduleName === "string" ? moduleName : "app.mjs", moduleSource };
}

/** Writes the module into `<dir>/modules/` unless already cached there; returns its file URL. */
export function cacheModule(dir: string, shipped: ShippedModule): string {
  const modules = join(dir, "modules");
  mkdirSync(modules, { recursive: true });
  const file = join(modules, `${shipped.moduleHash}.mjs`);
  if (!existsSync(file)) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, shipped.moduleSource);
    renameSync(tmp, file);
  }
  return pathToFileURL(file).href;
}
