/**
 * The project documents its own protocol in docs/protocol.md: every section a comment, a message,
 * a scenario or the README cites (§3.5.1, §7 item 19, §7.19) must exist there, and nothing may
 * point at a protocol document outside the repository.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");

function files(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : files(path);
    return /\.(ts|js|mjs|json|md)$/.test(e.name) ? [path] : [];
  });
}

const CITING = [...files("src"), ...files("test"), ...files("bench"), ...files("scenarios"), "README.md"];

describe("docs/protocol.md", () => {
  const doc = readFileSync(join(ROOT, "docs/protocol.md"), "utf8");
  const sections = new Set([...doc.matchAll(/^#{2,4} (\d+(?:\.\d+)*)\.? /gm)].map((m) => m[1]!));

  it("docs: every cited section exists (section numbers and §7 items)", () => {
    const missing: string[] = [];
    for (const f of CITING) {
      const text = readFileSync(join(ROOT, f), "utf8");
      for (const m of text.matchAll(/§(\d+(?:\.\d+)*)(?: item (\d+))?/g)) {
        const section = m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1]!;
        if (!sections.has(section)) missing.push(`${f}: ${m[0]}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("docs: nothing points at a PROTOCOL.md outside the repository", () => {
    const stale = CITING.filter(
      (f) => f !== join("test", "docs-protocol.test.ts") && readFileSync(join(ROOT, f), "utf8").includes("PROTOCOL.md"),
    );
    expect(stale).toEqual([]);
  });

  it("docs: the invariants section names every check id the simulator reports", () => {
    const ids = new Set<string>();
    for (const f of files("src/sim"))
      for (const m of readFileSync(join(ROOT, f), "utf8").matchAll(/"((?:I\d+|L1):[a-z0-9-]+)"/g)) ids.add(m[1]!);
    expect(ids.size).toBeGreaterThan(20);
    const undocumented = [...ids].filter((id) => !doc.includes(id.split(":")[1]!) || !doc.includes(`**${id.split(":")[0]}**`));
    expect(undocumented).toEqual([]);
  });
});
