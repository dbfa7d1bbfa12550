import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SIM = fileURLToPath(new URL("../../src/sim/", import.meta.url));
const BANNED =
  /Date\.now|new Date\(|Math\.random|performance\.now|setTimeout|setInterval|setImmediate|from ["']node:|require\(|process\.|console\.|WeakRef/;

describe("sim purity", () => {
  it("purity: src/sim reaches no clock, no Math.random, no timers, no process, console or node: module", () => {
    const hits: string[] = [];
    for (const file of readdirSync(SIM).filter((f) => f.endsWith(".ts"))) {
      readFileSync(SIM + file, "utf8")
        .split("\n")
        .forEach((line, i) => {
          if (/^\s*(\/\/|\*|\/\*)/.test(line)) return;
          if (BANNED.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(hits).toEqual([]);
  });
});
