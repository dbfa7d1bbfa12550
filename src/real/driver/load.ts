/**
 * Loading an application module for its driver, with errors a user can act on. Node reports a
 * syntax error of a dynamically imported ES module with no file or line ("Unexpected token ';'"),
 * so on a SyntaxError we ask `node --check` (a separate process, only on that failure path) where
 * it is, and say file:line:column with the offending line. Errors of the module's own top-level
 * code carry their stack as usual.
 */
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** An application module that cannot be used, with a message naming the file (and line) at fault. */
export class AppModuleError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AppModuleError";
  }
}

/**
 * Imports the module at `path` and returns its exports. `shownAs` is how messages name the file
 * (a cluster-mode driver imports a cached copy, but the user knows the module by its own name).
 */
export async function importAppModule(path: string, shownAs = path): Promise<Record<string, unknown>> {
  const full = resolve(path);
  try {
    return (await import(pathToFileURL(full).href)) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof SyntaxError) throw new AppModuleError(syntaxErrorMessage(full, shownAs, err), { cause: err });
    const error = err instanceof Error ? err : new Error(String(err));
    const stack = error.stack !== undefined ? renameModule(error.stack, full, shownAs) : `${error.name}: ${error.message}`;
    throw new AppModuleError(`the application module ${shownAs} failed to load: ${stack}`, { cause: err });
  }
}

/**
 * Checks the module's syntax without running it (`node --check`, for `flint submit --deploy-mode
 * cluster`, whose driver imports it on a worker): the error, or undefined when it parses.
 */
export function checkModuleSyntax(path: string, shownAs = path): AppModuleError | undefined {
  const full = resolve(path);
  const check = spawnSync(process.execPath, ["--check", full], { encoding: "utf8", timeout: 10_000 });
  if (check.status === 0) return undefined;
  const report = check.stderr ?? "";
  const where = locateSyntaxError(report, full);
  const what = /^(\w*Error): (.*)$/m.exec(report);
  if (where !== undefined && what !== null)
    return new AppModuleError(
      `${shownAs}:${where.line}:${where.column}: ${what[1]}: ${what[2]}\n${where.source}\n${" ".repeat(where.column - 1)}^`,
    );
  return new AppModuleError(`the application module ${shownAs} does not parse: ${renameModule(report.trim(), full, shownAs)}`);
}

/** "app.mjs:4:16: SyntaxError: Unexpected token ';'" followed by the line and a caret, when node --check finds it. */
function syntaxErrorMessage(full: string, shownAs: string, err: SyntaxError): string {
  const plain = `the application module ${shownAs} has a syntax error: ${err.name}: ${err.message}`;
  const check = spawnSync(process.execPath, ["--check", full], { encoding: "utf8", timeout: 10_000 });
  const where = locateSyntaxError(check.stderr ?? "", full);
  if (where === undefined) return plain;
  return `${shownAs}:${where.line}:${where.column}: ${err.name}: ${err.message}\n${where.source}\n${" ".repeat(where.column - 1)}^`;
}

/**
 * Reads node --check's report ("<file>:<line>\n<source line>\n<spaces>^\n\nSyntaxError: ...") into
 * a 1-based line and column; undefined when it has no such header for `full`.
 */
export function locateSyntaxError(report: string, full: string): { line: number; column: number; source: string } | undefined {
  const lines = report.split("\n");
  for (let i = 0; i + 2 < lines.length; i++) {
    const header = lines[i]!;
    const prefix = header.startsWith(`${full}:`)
      ? full
      : header.startsWith(`${pathToFileURL(full).href}:`)
        ? pathToFileURL(full).href
        : undefined;
    if (prefix === undefined) continue;
    const line = Number(header.slice(prefix.length + 1));
    const caret = lines[i + 2]!.indexOf("^");
    if (!Number.isInteger(line) || line < 1 || caret < 0) continue;
    return { line, column: caret + 1, source: lines[i + 1]! };
  }
  return undefined;
}

/** Replaces every mention of the module file (as a path or a file: URL) by `shownAs`. */
export function renameModule(text: string, full: string, shownAs: string): string {
  if (full === shownAs) return text;
  return text.split(pathToFileURL(full).href).join(shownAs).split(full).join(shownAs);
}
