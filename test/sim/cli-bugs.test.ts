/** `flint sim --bug NAME` / `--no-bugs`: run a museum scenario with its bug off, or any scenario with one on. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run } from "../../src/cli/commands/sim.js";
import { captureOutput, SCENARIO_DIR } from "./helpers.js";

const out = captureOutput();
const museum = join(SCENARIO_DIR, "museum", "SPARK-36509.json");

describe("flint sim --bug / --no-bugs", () => {
  it("cli bugs: a museum scenario fails with its bug on and passes with --no-bugs; the replay hint keeps the switch", async () => {
    expect(await run([museum])).toBe(1);
    expect(out.stdout).toContain("historic bugs on: SPARK-36509");
    out.stdout = "";
    out.stderr = "";
    expect(await run([museum, "--no-bugs"])).toBe(0);
    expect(out.stdout).not.toContain("historic bugs on");
    expect(out.stdout).toContain("PASS museum-SPARK-36509");
  });

  it("cli bugs: --bug switches a bug back on after --no-bugs (and on any scenario), and the replay command says so", async () => {
    expect(await run([museum, "--no-bugs", "--bug", "SPARK-36509"])).toBe(1);
    expect(out.stderr).toContain(`replay: npx flint sim ${museum} --seed 1 --no-bugs --bug SPARK-36509`);
  });

  it("cli bugs: an unknown bug name exits 2, naming it and listing the known ones", async () => {
    expect(await run([museum, "--bug", "SPARK-99999"])).toBe(2);
    expect(out.stderr).toContain("--bug SPARK-99999: unknown bug (known: SPARK-4592, SPARK-12552,");
    expect(out.stderr).toContain("GHOST-APP");
  });

  it("cli bugs: --help lists the switches and the bug names", async () => {
    expect(await run(["--help"])).toBe(0);
    expect(out.stdout).toContain("--no-bugs");
    expect(out.stdout).toMatch(/--bug NAME .*SPARK-36509/s);
  });
});
