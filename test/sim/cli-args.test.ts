/** The one command-line parser every `flint` command uses (src/cli/args.ts). */
import { describe, expect, it } from "vitest";
import {
  closest,
  defineCommand,
  formatDuration,
  helpText,
  parseCommandLine,
  parseDuration,
  UsageError,
  type CommandSpec,
  type ParsedArgs,
} from "../../src/cli/args.js";

const spec = defineCommand({
  name: "demo",
  summary: "a command to test the parser with",
  usage: "<file> [options] [-- program arguments]",
  description: "Reads options of every type.",
  positionals: { name: "file", min: 1, max: 2, missing: "missing the file" },
  passThrough: "program arguments",
  options: {
    seed: { type: "int", min: 0, value: "N", help: "a seed" },
    port: { type: "int", min: 0, max: 65535, default: 7077, value: "P", help: "a port" },
    until: { type: "duration", value: "T", help: "when to stop" },
    timeout: { type: "duration", min: 1_000, max: 60_000, default: 10_000, value: "T", help: "a bounded duration" },
    memory: { type: "size", default: 1024, value: "M", help: "a size" },
    mode: { type: "enum", choices: ["client", "cluster"], noun: "deploy mode", default: "client", help: "an enum" },
    bug: {
      type: "strings",
      choices: ["SPARK-36509", "SPARK-12552", "GHOST-APP"],
      noun: "bug",
      value: "NAME",
      help: "repeatable, from a list",
    },
    tag: { type: "strings", value: "T", help: "repeatable, free" },
    name: { type: "string", value: "NAME", help: "a string" },
    cpus: {
      type: "string",
      env: "DEMO_CPUS",
      check: (t) => (/^\d+(-\d+)?$/.test(t) ? undefined : "not a CPU list"),
      help: "checked, with an env default",
    },
    json: { type: "boolean", help: "a flag" },
    "no-bugs": { type: "boolean", help: "a flag named no-..." },
  },
  exitCodes: [
    [0, "fine"],
    [1, "not fine"],
  ],
  environment: [{ name: "DEMO_LEVEL", help: "how loud" }],
});

/** Parses and returns the arguments (fails the test on a help request). */
function parse(argv: string[], env: Record<string, string> = {}): ParsedArgs<typeof spec> {
  const line = parseCommandLine(spec, argv, env);
  if (line.help) throw new Error("unexpected help request");
  return line;
}

/** The UsageError message `argv` gets. */
function problem(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseCommandLine(spec, argv, env);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error(`no usage error for ${argv.join(" ")}`);
}

describe("flint's command-line parser", () => {
  it("args: durations take ms, s, m, h and combinations; a bare number is refused with a hint naming the flag", () => {
    expect(parse(["f", "--until", "500ms"]).options.until).toBe(500);
    expect(parse(["f", "--until", "90s"]).options.until).toBe(90_000);
    expect(parse(["f", "--until", "1.5s"]).options.until).toBe(1_500);
    expect(parse(["f", "--until", "5m"]).options.until).toBe(300_000);
    expect(parse(["f", "--until", "2h"]).options.until).toBe(7_200_000);
    expect(parse(["f", "--until", "1m30s"]).options.until).toBe(90_000);
    expect(parse(["f", "--until", "1h2m3s4ms"]).options.until).toBe(3_723_004);
    expect(parse(["f", "--until", "0"]).options.until).toBe(0);
    expect(problem(["f", "--until", "90"])).toBe("--until 90: a duration needs a unit, e.g. 90s or 90ms");
    expect(problem(["f", "--until=2.5"])).toBe("--until 2.5: a duration needs a unit, e.g. 2.5s or 2.5ms");
    expect(problem(["f", "--until", "soon"])).toBe("--until soon: not a duration (e.g. 500ms, 90s, 5m, 1h, 1m30s)");
    expect(problem(["f", "--until", "-5s"])).toMatch(/^--until -5s: not a duration/);
    expect(problem(["f", "--until", "5 s"])).toMatch(/^--until "5 s": not a duration/);
    expect(problem(["f", "--timeout", "500ms"])).toBe("--timeout 500ms: must be at least 1s");
    expect(problem(["f", "--timeout", "2m"])).toBe("--timeout 2m: must be at most 1m");
    expect(parse(["f"]).options.timeout).toBe(10_000);
    expect(() => parseDuration("7", "--time")).toThrow("--time 7: a duration needs a unit, e.g. 7s or 7ms");
  });

  it("args: a duration prints back in the largest unit that says it exactly, and reads back the same", () => {
    for (const [ms, text] of [
      [0, "0"],
      [5_000, "5s"],
      [90_000, "90s"],
      [120_000, "2m"],
      [3_600_000, "1h"],
      [90_500, "90500ms"],
      [1, "1ms"],
    ] as const) {
      expect(formatDuration(ms)).toBe(text);
      expect(parseDuration(text, "--until")).toBe(ms);
    }
  });

  it("args: --opt=value and --opt value read the same, for every type", () => {
    const spaced = parse([
      "f",
      "--seed",
      "7",
      "--until",
      "9s",
      "--memory",
      "2g",
      "--mode",
      "cluster",
      "--bug",
      "GHOST-APP",
      "--name",
      "x=y",
      "--cpus",
      "2-3",
    ]);
    const joined = parse(["f", "--seed=7", "--until=9s", "--memory=2g", "--mode=cluster", "--bug=GHOST-APP", "--name=x=y", "--cpus=2-3"]);
    expect(joined).toEqual(spaced);
    expect(spaced.options).toMatchObject({
      seed: 7,
      until: 9_000,
      memory: 2048,
      mode: "cluster",
      bug: ["GHOST-APP"],
      name: "x=y",
      cpus: "2-3",
    });
    // An empty value is a value (and a bad one for a number).
    expect(parse(["f", "--name="]).options.name).toBe("");
    expect(problem(["f", "--seed="])).toBe('--seed "": not a whole number');
  });

  it("args: defaults, and the types of absent options", () => {
    const { options } = parse(["f"]);
    expect(options).toEqual({
      seed: undefined,
      port: 7077,
      until: undefined,
      timeout: 10_000,
      memory: 1024,
      mode: "client",
      bug: [],
      tag: [],
      name: undefined,
      cpus: undefined,
      json: false,
      "no-bugs": false,
    });
  });

  it("args: an unknown option is named, with the closest one when it looks like a slip", () => {
    expect(problem(["f", "--seeed", "3"])).toBe("unknown option --seeed (did you mean --seed?)");
    expect(problem(["f", "--no-bug"])).toBe("unknown option --no-bug (did you mean --no-bugs?)");
    expect(problem(["f", "-seed", "3"])).toBe("unknown option -seed (did you mean --seed?)");
    expect(problem(["f", "--verbose"])).toBe("unknown option --verbose");
    expect(problem(["f", "-x"])).toBe("unknown option -x");
    expect(problem(["f", "--bogus=1"])).toBe("unknown option --bogus");
    expect(problem(["f", "--constructor"])).toBe("unknown option --constructor");
    expect(problem(["f", "--__proto__=1"])).toBe("unknown option --__proto__");
    expect(closest("simm", ["sim", "fuzz", "shrink"])).toBe("sim");
    expect(closest("status", ["sim", "fuzz"])).toBeUndefined();
  });

  it("args: a missing value is named (at the end, or followed by another option); a flag takes no value", () => {
    expect(problem(["f", "--seed"])).toBe("--seed needs a value (--seed N)");
    expect(problem(["f", "--seed", "--json"])).toBe("--seed needs a value (--seed N)");
    expect(problem(["f", "--name"])).toBe("--name needs a value (--name NAME)");
    expect(problem(["f", "--json=yes"])).toBe("--json takes no value (got --json=yes)");
    // A value may start with a single dash (it is then the option's value, checked by its type).
    expect(problem(["f", "--seed", "-1"])).toBe("--seed -1: not a whole number");
    expect(parse(["f", "--name", "-x"]).options.name).toBe("-x");
  });

  it("args: whole numbers and their bounds", () => {
    expect(problem(["f", "--seed", "x"])).toBe("--seed x: not a whole number");
    expect(problem(["f", "--seed", "1.5"])).toBe("--seed 1.5: not a whole number");
    expect(problem(["f", "--seed", "99999999999999999999"])).toBe("--seed 99999999999999999999: not a whole number");
    expect(problem(["f", "--port", "70000"])).toBe("--port 70000: must be between 0 and 65535");
    expect(parse(["f", "--seed", "0"]).options.seed).toBe(0);
  });

  it("args: a repeatable option collects every value in order; a choice list refuses others, naming them", () => {
    expect(parse(["f", "--bug", "SPARK-36509", "--bug=GHOST-APP", "--tag", "a", "--tag", "b"]).options).toMatchObject({
      bug: ["SPARK-36509", "GHOST-APP"],
      tag: ["a", "b"],
    });
    expect(problem(["f", "--bug", "SPARK-3650"])).toBe(
      "--bug SPARK-3650: unknown bug (did you mean SPARK-36509?) (known: SPARK-36509, SPARK-12552, GHOST-APP)",
    );
    expect(problem(["f", "--bug", "SPARK-99999"])).toBe("--bug SPARK-99999: unknown bug (known: SPARK-36509, SPARK-12552, GHOST-APP)");
  });

  it("args: an enum takes one of its choices", () => {
    expect(parse(["f", "--mode", "cluster"]).options.mode).toBe("cluster");
    expect(problem(["f", "--mode", "moon"])).toBe("--mode moon: unknown deploy mode (known: client, cluster)");
    expect(problem(["f", "--mode", "clustr"])).toBe("--mode clustr: unknown deploy mode (did you mean cluster?) (known: client, cluster)");
  });

  it("args: sizes read as Spark's memory strings", () => {
    expect(parse(["f", "--memory", "512m"]).options.memory).toBe(512);
    expect(parse(["f", "--memory", "300"]).options.memory).toBe(300);
    expect(problem(["f", "--memory", "lots"])).toBe("--memory lots: not a size (e.g. 512m, 8g)");
    expect(problem(["f", "--memory", "0"])).toBe("--memory 0: less than 1 MiB");
  });

  it("args: a checked string, and an option's environment variable (checked the same, named in the error)", () => {
    expect(problem(["f", "--cpus", "first"])).toBe("--cpus first: not a CPU list");
    expect(parse(["f"], { DEMO_CPUS: "0-1" }).options.cpus).toBe("0-1");
    expect(parse(["f", "--cpus", "3"], { DEMO_CPUS: "0-1" }).options.cpus).toBe("3");
    expect(parse(["f"], { DEMO_CPUS: "" }).options.cpus).toBeUndefined();
    expect(problem(["f"], { DEMO_CPUS: "all" })).toBe("DEMO_CPUS all: not a CPU list");
  });

  it("args: positionals between options, their count, and -- (the rest is the program's, or positional)", () => {
    const a = parse(["--json", "f", "--seed", "1", "g", "--", "--seed", "x"]);
    expect(a.positionals).toEqual(["f", "g"]);
    expect(a.rest).toEqual(["--seed", "x"]);
    expect(a.options.seed).toBe(1);
    expect(problem([])).toBe("missing the file");
    expect(problem(["a", "b", "c"])).toBe("unexpected argument 'c'");
    // A command without pass-through arguments takes what follows -- as positional (a file named -x.json).
    const single = defineCommand({
      name: "one",
      summary: "s",
      usage: "<f>",
      description: "d",
      positionals: { name: "scenario", max: 1 },
      options: {},
      exitCodes: [],
      environment: [],
    });
    const line = parseCommandLine(single, ["--", "-x.json"]);
    expect(line.help === false && line.positionals).toEqual(["-x.json"]);
    expect(() => parseCommandLine(single, ["a.json", "b.json"])).toThrow("one scenario at a time (got a.json and b.json)");
  });

  it("args: -h or --help anywhere asks for the help, whatever else is wrong on the line; not after --", () => {
    expect(parseCommandLine(spec, ["--bogus", "-h"])).toEqual({ help: true });
    expect(parseCommandLine(spec, ["--help", "--seed", "x"])).toEqual({ help: true });
    expect(parseCommandLine(spec, ["f", "--", "--help"]).help).toBe(false);
  });

  it("args: the help is generated from the spec: usage, every option with its placeholder and default, exit codes (2 added) and environment", () => {
    const help = helpText(spec as CommandSpec);
    expect(help.startsWith("Usage: flint demo <file> [options] [-- program arguments]\n\nReads options of every type.\n\nOptions:\n")).toBe(
      true,
    );
    for (const line of [
      "--seed N",
      "--port P",
      "(default: 7077)",
      "(default: 10s)",
      "(default: 1g)",
      "--bug NAME",
      "(repeatable)",
      "one of: SPARK-36509, SPARK-12552, GHOST-APP",
      "(env DEMO_CPUS)",
      "--json",
      "-h, --help",
    ])
      expect(help).toContain(line);
    expect(help).toMatch(/Exit codes:\n {2}0 +fine\n {2}1 +not fine\n {2}2 +bad usage/);
    expect(help).toMatch(/Environment:\n {2}DEMO_CPUS +the default of --cpus\n {2}DEMO_LEVEL +how loud/);
    const quiet = defineCommand({
      name: "q",
      summary: "s",
      usage: "",
      description: "d",
      options: {},
      exitCodes: [[0, "ok"]],
      environment: [],
    });
    expect(helpText(quiet)).toMatch(/Environment:\n {2}none/);
    for (const line of help.split("\n")) expect(line.length, line).toBeLessThanOrEqual(100);
  });
});
