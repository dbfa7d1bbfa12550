/**
 * Determinism is enforced by a check, not by hope (STYLE.md rule 13): src/protocol and src/sim must
 * not reach the clock, randomness, timers, the process or I/O, and the layers import downward only.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

function sourceFiles(dir: string): string[] {
  const abs = join(ROOT, dir);
  let entries: string[];
  try {
    entries = readdirSync(abs);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(abs, name);
    if (statSync(path).isDirectory()) return sourceFiles(relative(ROOT, path));
    return name.endsWith(".ts") ? [path] : [];
  });
}

/** Source text without comments and string contents, so that prose about `Date` does not trip the check. */
function codeOnly(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`])\/\/.*$/gm, "$1")
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""')
    .replace(/'(?:[^'\\\n]|\\.)*'/g, "''")
    .replace(/`(?:[^`\\]|\\.)*`/g, "``");
}

/** A global is banned where it is used as one: not as a property (`input.process`) or an object key. */
const global = (name: string, after = "(?!\\s*:)"): RegExp => new RegExp(`(?<![.\\w$])${name}\\b${after}`);
const BANNED_GLOBALS: Array<[RegExp, string]> = [
  [global("Date"), "Date"],
  [/\bMath\.random\b/, "Math.random"],
  [global("setTimeout"), "setTimeout"],
  [global("setInterval"), "setInterval"],
  [global("setImmediate"), "setImmediate"],
  [global("queueMicrotask"), "queueMicrotask"],
  [global("process", "\\s*[.[]"), "process"],
  [global("console", "\\s*[.[]"), "console"],
  [global("WeakRef"), "WeakRef"],
  [global("FinalizationRegistry"), "FinalizationRegistry"],
  [global("performance", "\\s*[.[]"), "performance"],
  [global("require", "\\s*\\("), "require"],
  [global("crypto", "\\s*[.[]"), "crypto"],
  [global("fetch", "\\s*\\("), "fetch"],
];

function importsOf(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s[^;]*?from\s+["']([^"']+)["']/g)) out.push(m[1]!);
  for (const m of text.matchAll(/import\s*\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]!);
  return out;
}

function violations(dir: string, allowedPackages: string[], allowedDirs: string[]): string[] {
  const problems: string[] = [];
  for (const file of sourceFiles(dir)) {
    const text = readFileSync(file, "utf8");
    const code = codeOnly(text);
    const rel = relative(ROOT, file);
    for (const [pattern, name] of BANNED_GLOBALS) {
      if (pattern.test(code)) problems.push(`${rel}: uses ${name}`);
    }
    for (const spec of importsOf(text)) {
      if (spec.startsWith(".")) {
        const target = relative(ROOT, resolve(dirname(file), spec));
        if (!allowedDirs.some((d) => target.startsWith(d))) problems.push(`${rel}: imports ${spec} (outside ${allowedDirs.join(", ")})`);
      } else if (!allowedPackages.includes(spec)) {
        problems.push(`${rel}: imports package ${spec}`);
      }
    }
  }
  return problems;
}

describe("architecture", () => {
  it("src/protocol imports nothing outside itself but immer and TypeBox's schema builder (not its compiler), and never touches the clock, randomness, timers, process or console", () => {
    expect(sourceFiles("src/protocol").length).toBeGreaterThan(10);
    // TypeBox schemas are plain data; its compiler (`@sinclair/typebox/compiler`, which builds
    // code with `new Function`) stays in src/real.
    expect(violations("src/protocol", ["immer", "@sinclair/typebox"], ["src/protocol"])).toEqual([]);
  });

  it("src/sim imports only src/protocol, itself and seedrandom, and is just as deterministic", () => {
    expect(violations("src/sim", ["seedrandom", "immer"], ["src/protocol", "src/sim"])).toEqual([]);
  });

  it("src/real never imports src/sim, and src/sim never imports src/real", () => {
    const real = sourceFiles("src/real").flatMap((f) =>
      importsOf(readFileSync(f, "utf8")).filter((s) => s.includes("/sim/")).map((s) => `${relative(ROOT, f)}: ${s}`),
    );
    expect(real).toEqual([]);
  });

  it("the check itself catches a banned global and a banned import", () => {
    expect(codeOnly("const t = Date.now(); // Date in a comment")).toMatch(/\bDate\b/);
    expect(codeOnly('log("Date is fine in a string")')).not.toMatch(/\bDate\b/);
    const banned = (code: string) => BANNED_GLOBALS.filter(([p]) => p.test(codeOnly(code))).map(([, n]) => n);
    expect(banned("const a = process.env.X; console.log(1); setTimeout(f, 1); Math.random(); new Date();")).toEqual([
      "Date",
      "Math.random",
      "setTimeout",
      "process",
      "console",
    ]);
    expect(banned("const k = input.process.kind; const o = { process: 1, Date: 2 };")).toEqual([]);
    expect(importsOf('import { readFileSync } from "node:fs";')).toEqual(["node:fs"]);
  });
});
