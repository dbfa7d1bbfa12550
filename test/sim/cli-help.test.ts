/**
 * Every `flint` command's --help (generated from its spec) says what its exit codes mean and which
 * environment variables it reads; `flint --version` prints package.json's version; and the command
 * lines the README, the docs, package.json's scripts and the CI workflow show parse with the
 * commands' specs (a flag renamed or a bare duration in the docs fails here).
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseCommandLine, type CommandSpec } from "../../src/cli/args.js";
import { COMMANDS, run } from "../../src/cli/main.js";
import { captureOutput } from "./helpers.js";

const out = captureOutput();
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (path: string): string => readFileSync(`${ROOT}${path}`, "utf8");

async function specs(): Promise<Map<string, CommandSpec>> {
  const all = new Map<string, CommandSpec>();
  for (const [name, load] of Object.entries(COMMANDS)) all.set(name, (await load()).spec);
  return all;
}

describe("flint --help and --version", () => {
  it("help: every command's --help (and -h, and `flint help <command>`) has its usage, every option, exit codes and environment", async () => {
    const all = await specs();
    expect([...all.keys()]).toEqual([
      "sim",
      "fuzz",
      "shrink",
      "local",
      "master",
      "worker",
      "submit",
      "status",
      "view",
      "replay",
      "chaos",
      "web-token",
    ]);
    for (const [name, spec] of all) {
      for (const argv of [
        [name, "--help"],
        [name, "-h"],
        ["help", name],
      ]) {
        out.stdout = "";
        expect(await run(argv), argv.join(" ")).toBe(0);
        const help = out.stdout;
        expect(help.startsWith(`Usage: flint ${name} `), name).toBe(true);
        expect(help, name).toMatch(/\nExit codes:\n {2}0 +\S.*\n(.*\n)* {2}2 +\S/);
        expect(help, name).toMatch(/\nEnvironment:\n {2}\S/);
        for (const option of Object.keys(spec.options)) expect(help, `${name} --${option}`).toContain(`--${option}`);
        for (const [code] of spec.exitCodes) expect(help, `${name} exit ${code}`).toMatch(new RegExp(`\\n {2}${code} +\\S`));
        for (const e of spec.environment) expect(help, `${name} ${e.name}`).toContain(`  ${e.name}`);
      }
    }
  });

  it("help: the commands that read flint's environment variables list them", async () => {
    const env = async (name: string): Promise<string> => {
      out.stdout = "";
      await run([name, "--help"]);
      return out.stdout.slice(out.stdout.indexOf("\nEnvironment:"));
    };
    for (const name of ["master", "worker", "submit", "local"]) expect(await env(name), name).toContain("FLINT_PROTOCOL_CONFIG");
    for (const name of ["master", "worker"]) expect(await env(name), name).toContain("FLINT_LOG_LEVEL");
    expect(await env("worker")).toContain("FLINT_EXECUTOR_CPUS");
    expect(await env("local")).toContain("FLINT_PIN_EXECUTORS");
    expect(await env("sim")).toContain("FORCE_COLOR");
  });

  it("help: flint --help lists the commands, exit codes and environment; no command is a usage error", async () => {
    expect(await run(["--help"])).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(out.stdout).toMatch(new RegExp(`\\n {2}${name} +\\S`));
    expect(out.stdout).toContain("\nExit codes:\n");
    expect(out.stdout).toContain("\nEnvironment:\n");
    expect(out.stdout).toContain("-V, --version");
    expect(await run([])).toBe(2);
  });

  it("usage: every option that is a time is a duration (a unit required), in every command", async () => {
    let durations = 0;
    for (const [name, spec] of await specs()) {
      for (const [option, o] of Object.entries(spec.options)) {
        if (!/time|until|timeout|budget|interval|delay|wait|grace|-ms$/.test(option)) continue;
        expect(o.type, `flint ${name} --${option}`).toBe("duration");
        expect(
          () => parseCommandLine(spec, [...(spec.positionals?.min ? ["x"] : []), `--${option}`, "90"]),
          `flint ${name} --${option} 90`,
        ).toThrow(`--${option} 90: a duration needs a unit, e.g. 90s or 90ms`);
        durations++;
      }
    }
    expect(durations).toBeGreaterThanOrEqual(4); // sim --until, fuzz --time and --shrink-budget, master --zk-session-timeout
  });

  it("version: flint --version and -V print package.json's version", async () => {
    const version = (JSON.parse(read("package.json")) as { version: string }).version;
    expect(await run(["--version"])).toBe(0);
    expect(out.stdout).toBe(`flint ${version}\n`);
    out.stdout = "";
    expect(await run(["-V"])).toBe(0);
    expect(out.stdout).toBe(`flint ${version}\n`);
  });

  it("usage: an unknown command or top-level option exits 2 with the closest one", async () => {
    expect(await run(["simm"])).toBe(2);
    expect(out.stderr).toContain("flint: unknown command 'simm' (did you mean sim?)");
    out.stderr = "";
    expect(await run(["--versoin"])).toBe(2);
    expect(out.stderr).toContain("flint: unknown option --versoin (did you mean --version?");
    out.stderr = "";
    expect(await run(["constructor"])).toBe(2);
    expect(out.stderr).toContain("flint: unknown command 'constructor'");
  });

  it("usage: a bad option exits 2 naming it, with the usage line and where the options are", async () => {
    expect(await run(["fuzz", "--time", "90"])).toBe(2);
    expect(out.stderr).toBe(
      "flint fuzz: --time 90: a duration needs a unit, e.g. 90s or 90ms\nUsage: flint fuzz [scenario.json | swarm ...] (--seeds N | --time T) [options]\nRun `flint fuzz --help` for every option.\n",
    );
    out.stderr = "";
    expect(await run(["status", "--master=flint://127.0.0.1:1", "--jsno"])).toBe(2);
    expect(out.stderr).toContain("flint status: unknown option --jsno (did you mean --json?)");
  });
});

/** The words of a shell command line (placeholders kept: `[--max-cores 16]` reads as `--max-cores 16`). */
function words(line: string): string[] {
  return line
    .replace(/\$\{\{[^}]*\}\}/g, "1") // a CI matrix value: ${{ matrix.shard }}
    .replace(/\$\([^)]*\)/g, "") // a command substitution (the scenario list)
    .replace(/[[\]]/g, " ")
    .split(/\s+/)
    .filter((w) => w !== "");
}

/** `npx flint ...` / `node bin/flint.js ...` command lines in `text`, cut at comments, redirections and `&`, `;`, `&&`. */
function flintLines(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:npx flint|node bin\/flint\.js) ([^\n#;&|]*?)(?=\s+#|\s+\d?>|\s*[;&|]|\n|$)/g)) found.push(m[1]!.trim());
  return found;
}

/** Shell code blocks of a markdown file. */
function shellBlocks(markdown: string): string {
  return [...markdown.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((m) => m[1]!).join("\n");
}

describe("the documented command lines", () => {
  it("docs: every flint command line in the README's shell blocks, package.json's scripts, the fuzz workflow, the examples and bench/mutation.js parses", async () => {
    const all = await specs();
    const workflow = read(".github/workflows/fuzz.yml").replace(/\n\s{10}(?=--)/g, " "); // its folded `run: >` lines
    const sources: Array<[string, string]> = [
      ["README.md", shellBlocks(read("README.md"))],
      ["package.json", (JSON.parse(read("package.json")) as { scripts: Record<string, string> }).scripts["fuzz"]!],
      [".github/workflows/fuzz.yml", workflow],
      ...readdirSync(`${ROOT}examples`)
        .filter((f) => f.endsWith(".mjs"))
        .map((f): [string, string] => [`examples/${f}`, read(`examples/${f}`)]),
      // bench/mutation.js's fuzz command, its ${...} parts as values.
      ["bench/mutation.js", read("bench/mutation.js").replace(/\$\{[^}]*\}/g, "1")],
    ];
    let checked = 0;
    for (const [source, text] of sources) {
      const lines = flintLines(text);
      expect(lines.length, source).toBeGreaterThan(0);
      for (const line of lines) {
        const [name, ...argv] = words(line);
        if (name === "--help" || name === "--version") continue;
        const spec = all.get(name!);
        expect(spec, `${source}: flint ${line}: no command ${name}`).toBeDefined();
        expect(() => parseCommandLine(spec!, argv), `${source}: flint ${line}`).not.toThrow();
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(30);
  });

  it("docs: every option an inline `npx flint ...` of the README or docs/ names is an option of that command", async () => {
    const all = await specs();
    const files = [
      "README.md",
      ...readdirSync(`${ROOT}docs`)
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
    ];
    let checked = 0;
    for (const file of files) {
      for (const m of read(file).matchAll(/`npx flint ([^`]*)`/g)) {
        const [name, ...argv] = words(m[1]!);
        const dashdash = argv.indexOf("--");
        const options = (dashdash < 0 ? argv : argv.slice(0, dashdash))
          .filter((w) => w.startsWith("--"))
          .map((w) => w.slice(2).split("=")[0]!);
        if (name === "--help" || name === "--version") continue;
        const spec = all.get(name!);
        expect(spec, `${file}: npx flint ${m[1]}`).toBeDefined();
        for (const option of options)
          expect(option === "help" || Object.hasOwn(spec!.options, option), `${file}: npx flint ${m[1]}: --${option}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(15);
  });
});
