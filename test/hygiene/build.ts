/**
 * Real-process tests run the compiled code in dist/, not the sources: after an edit without a
 * build they would test the old code and pass or fail for nothing. They call
 * `assertFreshBuild()` first, which fails with the file that is newer than its build.
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourcesUnder(path));
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out.sort();
}

const mtimeMs = (path: string): number | undefined => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
};

/** Why dist/ under `root` does not match src/ (a missing or older compiled file), or null. */
export function staleBuild(root = ROOT): string | null {
  for (const source of sourcesUnder(join(root, "src"))) {
    const rel = relative(join(root, "src"), source);
    const built = join(root, "dist", rel.replace(/\.ts$/, ".js"));
    const builtMs = mtimeMs(built);
    if (builtMs === undefined) return `dist/ has no ${relative(root, built)} (from src/${rel}): run npm run build`;
    if (mtimeMs(source)! > builtMs) return `dist/ is older than src/${rel}: run npm run build`;
  }
  return null;
}

/** Throws when dist/ is missing or older than src/ (see staleBuild). */
export function assertFreshBuild(root = ROOT): void {
  const stale = staleBuild(root);
  if (stale !== null) throw new Error(stale);
}
