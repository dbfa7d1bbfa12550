/**
 * Temporary directories for tests that leave nothing behind: one per test file, made under the
 * run's temporary directory (see globalSetup.ts) and removed with everything in it once the
 * file's tests are done. Call it at the top level of a test file or inside `describe`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

export function fileTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
