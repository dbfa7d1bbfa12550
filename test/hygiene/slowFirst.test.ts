/** The list of long test files the run starts first names files that exist, each once. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SLOW_FILES, slowRank } from "../slowFirstSequencer.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

describe("slow files first", () => {
  it("every listed file exists (a renamed one would silently drop back to the end of the run), each listed once", () => {
    expect(SLOW_FILES.filter((file) => !existsSync(join(ROOT, file)))).toEqual([]);
    expect(new Set(SLOW_FILES).size).toBe(SLOW_FILES.length);
  });

  it("listed files rank by their place in the list, all others after them", () => {
    expect(slowRank(join(ROOT, SLOW_FILES[0]!))).toBe(0);
    expect(slowRank(join(ROOT, SLOW_FILES[2]!))).toBe(2);
    expect(slowRank(join(ROOT, "test/sim/rng.test.ts"))).toBe(SLOW_FILES.length);
    // A path that only ends like a listed one is not it.
    expect(slowRank(join(ROOT, "test/xsim/fuzz.test.ts"))).toBe(SLOW_FILES.length);
  });
});
