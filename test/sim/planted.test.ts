/**
 * The planted bugs of bench/planted (issue 16): each is a patch of the built JavaScript (or of a
 * shipped scenario) whose search string must occur exactly once, so that a source change that
 * moves the code shows up here as a stale mutant instead of a silent no-op in the benchmark; and
 * every cause of missed bugs has at least one planted bug.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain JavaScript module of the benchmark, no type declarations
import { CAUSES, MUTANTS } from "../../bench/planted/mutants.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

interface Patch {
  file: string;
  search: string;
  replace: string;
}
interface Mutant {
  name: string;
  cause: string;
  witness: string | null;
  patches: Patch[];
}

describe("planted bugs (bench/planted)", () => {
  const mutants = MUTANTS as Mutant[];

  it("planted: every cause has a planted bug, and names are unique", () => {
    expect(new Set(mutants.map((m) => m.cause))).toEqual(new Set(Object.keys(CAUSES as Record<string, string>)));
    expect(new Set(mutants.map((m) => m.name)).size).toBe(mutants.length);
  });

  it.skipIf(!existsSync(join(ROOT, "dist", "protocol")))(
    "planted: each patch applies exactly once to the current build and changes it",
    () => {
      for (const m of mutants) {
        for (const p of m.patches) {
          const text = readFileSync(join(ROOT, p.file), "utf8");
          expect(text.split(p.search).length - 1, `${m.name}: ${p.file}`).toBe(1);
          expect(p.replace).not.toBe(p.search);
        }
        if (m.witness !== null) expect(existsSync(join(ROOT, m.witness)), `${m.name}: witness ${m.witness}`).toBe(true);
      }
    },
  );
});
