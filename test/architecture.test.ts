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

/** Every relative import of every file under src (type-only ones too), resolved to src-relative .ts paths. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles("src")) {
    const targets = importsOf(readFileSync(file, "utf8"))
      .filter((spec) => spec.startsWith("."))
      .map((spec) => relative(ROOT, resolve(dirname(file), spec)).replace(/\.js$/, ".ts"));
    graph.set(relative(ROOT, file), targets);
  }
  return graph;
}

/** Each import cycle found by a depth-first search, as the files along it (`a -> b -> a`). */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const cycles: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === "open") cycles.push([...path.slice(path.indexOf(next)), next].join(" -> "));
      else if (state.get(next) === undefined) visit(next);
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of [...graph.keys()].sort()) if (state.get(file) === undefined) visit(file);
  return cycles;
}

/**
 * The layers of src/real, lowest first: a module imports its own layer or a lower one, never a
 * higher one (folders of one layer may use each other; the cycle check keeps files from going
 * round). The root's shared pieces (transport, codec, log, runtime) and the flight recorder the
 * generic host writes are the bottom; the package entry (src/real/index.ts) sits on top. A new
 * folder must be placed here before it can import anything.
 */
const REAL_LAYERS: Record<string, number> = { "": 0, journal: 0, tasks: 1, recovery: 1, web: 1, driver: 2, cluster: 3, index: 9 };

function realLayer(file: string): number | undefined {
  const rest = file.slice("src/real/".length);
  if (rest === "index.ts") return REAL_LAYERS.index;
  return REAL_LAYERS[rest.includes("/") ? rest.slice(0, rest.indexOf("/")) : ""];
}

describe("architecture", () => {
  it("no import cycles anywhere in src (type-only imports included)", () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(100);
    expect(importCycles(graph)).toEqual([]);
  });

  it("the cycle check finds a cycle it is given", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts", "d.ts"]],
      ["d.ts", []],
    ]);
    expect(importCycles(graph)).toEqual(["a.ts -> b.ts -> c.ts -> a.ts"]);
  });

  it("src/cli is the top layer: nothing outside it imports it", () => {
    const problems = [...importGraph()].flatMap(([file, targets]) =>
      file.startsWith("src/cli/") ? [] : targets.filter((t) => t.startsWith("src/cli/")).map((t) => `${file} imports ${t}`),
    );
    expect(problems).toEqual([]);
  });

  it("src/real imports only its own layer or lower ones (no import back up, e.g. driver -> cluster)", () => {
    const problems: string[] = [];
    for (const [file, targets] of importGraph()) {
      if (!file.startsWith("src/real/")) continue;
      const from = realLayer(file);
      if (from === undefined) {
        problems.push(`${file}: its folder has no place in REAL_LAYERS (test/architecture.test.ts)`);
        continue;
      }
      for (const target of targets) {
        if (!target.startsWith("src/real/")) continue;
        const to = realLayer(target);
        const sameFolder = dirname(file) === dirname(target);
        if (to === undefined || (!sameFolder && to > from && from !== REAL_LAYERS.index))
          problems.push(`${file} imports ${target} (a layer above its own)`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("src/protocol imports nothing outside itself but TypeBox's schema builder (not its compiler), and never touches the clock, randomness, timers, process or console", () => {
    expect(sourceFiles("src/protocol").length).toBeGreaterThan(10);
    // TypeBox schemas are plain data; its compiler (`@sinclair/typebox/compiler`, which builds
    // code with `new Function`) stays in src/real.
    expect(violations("src/protocol", ["@sinclair/typebox"], ["src/protocol"])).toEqual([]);
  });

  it("src/sim imports only src/protocol, itself, seedrandom and TypeBox's compiler, and is just as deterministic", () => {
    // The compiler builds the wire schemas' checks (N3, src/sim/invariants/wire-schema.ts), as the
    // real codec does: generated code, but a pure function of the schema and the value it checks.
    expect(violations("src/sim", ["seedrandom", "@sinclair/typebox/compiler"], ["src/protocol", "src/sim"])).toEqual([]);
  });

  it("src/real never imports src/sim, and src/sim never imports src/real", () => {
    const real = sourceFiles("src/real").flatMap((f) =>
      importsOf(readFileSync(f, "utf8"))
        .filter((s) => s.includes("/sim/"))
        .map((s) => `${relative(ROOT, f)}: ${s}`),
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
