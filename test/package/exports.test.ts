/**
 * The package as a user's project sees it: `npm pack` of this tree, unpacked into a fresh project's
 * node_modules, must give `import { connect } from "flint"` with types (tsc, strict, NodeNext) and
 * at run time. Runs on the built dist/ (npm test builds first); the runtime dependencies are linked
 * from this repository's node_modules, so no network is needed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };

let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "flint-package-"));
  const tarball = execFileSync("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", project], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop()!;
  const modules = join(project, "node_modules");
  mkdirSync(join(modules, "flint"), { recursive: true });
  execFileSync("tar", ["-xzf", join(project, tarball), "-C", join(modules, "flint"), "--strip-components=1"]);
  for (const dep of [...Object.keys(pkg.dependencies), "@types/node"]) {
    mkdirSync(join(modules, dep, ".."), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", dep), join(modules, dep));
  }
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-project", type: "module", private: true }));
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", noEmit: true, types: ["node"] },
      files: ["main.ts", "wrong.ts"],
    }),
  );
}, 60_000);

afterAll(() => {
  if (project !== undefined) rmSync(project, { recursive: true, force: true });
});

describe("the package's exports", () => {
  it('`import { connect } from "flint"` type-checks, and a wrong use of it does not', () => {
    writeFileSync(
      join(project, "main.ts"),
      [
        'import { connect, type Cluster } from "flint";',
        'import { resolveConfig, type ProtocolConfig } from "flint/protocol";',
        "const open: (options: Parameters<typeof connect>[0]) => Promise<Cluster> = connect;",
        "const config: ProtocolConfig = resolveConfig({ workerTimeoutMs: 1000 });",
        "export { open, config };",
      ].join("\n"),
    );
    writeFileSync(join(project, "wrong.ts"), 'import { connect } from "flint";\nconst n: number = connect;\nexport { n };\n');
    // One compiler run checks both files (most of its time is loading the libraries): the only
    // error is the wrong use, so main.ts and the package's own declarations type-check.
    const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
    let output = "";
    try {
      execFileSync(process.execPath, [tsc, "-p", project], { cwd: project, encoding: "utf8" });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout);
    }
    const errors = output.split("\n").filter((line) => /error TS\d+/.test(line));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^wrong\.ts.*error TS2322/);
  }, 60_000);

  it("resolves at run time, and the deep dist/ path is closed", () => {
    const script =
      'const m = await import("flint"); const p = await import("flint/protocol"); console.log(typeof m.connect, typeof p.resolveConfig);';
    expect(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: project, encoding: "utf8" }).trim()).toBe(
      "function function",
    );
    const deep = 'await import("flint/dist/real/index.js")';
    expect(() =>
      execFileSync(process.execPath, ["--input-type=module", "-e", deep], { cwd: project, encoding: "utf8", stdio: "pipe" }),
    ).toThrow(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
  });
});
