import { mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertFreshBuild, staleBuild } from "./build.js";
import { fileTempDir } from "./tempDir.js";

describe("test hygiene: real-process tests refuse a stale build", () => {
  const tmp = fileTempDir("flint-build-");

  function fakeCheckout(name: string): string {
    const root = join(tmp, name);
    for (const dir of ["src/real", "dist/real"]) mkdirSync(join(root, dir), { recursive: true });
    for (const file of ["src/main.ts", "src/real/host.ts", "src/real/types.d.ts"]) writeFileSync(join(root, file), "");
    for (const file of ["dist/main.js", "dist/real/host.js"]) writeFileSync(join(root, file), "");
    const builtAt = new Date(Date.now() - 10_000);
    for (const file of ["src/main.ts", "src/real/host.ts"])
      utimesSync(join(root, file), new Date(builtAt.getTime() - 1_000), new Date(builtAt.getTime() - 1_000));
    for (const file of ["dist/main.js", "dist/real/host.js"]) utimesSync(join(root, file), builtAt, builtAt);
    return root;
  }

  it("hygiene: a build newer than every source passes", () => {
    expect(staleBuild(fakeCheckout("fresh"))).toBeNull();
  });

  it("hygiene: a source edited after the build is named, with the fix", () => {
    const root = fakeCheckout("edited");
    utimesSync(join(root, "src/real/host.ts"), new Date(), new Date());
    expect(staleBuild(root)).toBe("dist/ is older than src/real/host.ts: run npm run build");
    expect(() => assertFreshBuild(root)).toThrow("dist/ is older than src/real/host.ts: run npm run build");
  });

  it("hygiene: a source with no compiled file (a new module, or no build at all) is named", () => {
    const root = fakeCheckout("new-module");
    writeFileSync(join(root, "src/real/transport.ts"), "");
    expect(staleBuild(root)).toBe("dist/ has no dist/real/transport.js (from src/real/transport.ts): run npm run build");
  });
});
