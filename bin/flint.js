#!/usr/bin/env node
// The `flint` command. The TypeScript sources are compiled to dist/ by `npm install`/`npm ci`
// (the `prepare` script) or `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const main = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
if (!existsSync(main)) {
  process.stderr.write("flint: dist/ is missing; run `npm run build` (npm ci does it for you)\n");
  process.exit(2);
}
const { run } = await import(pathToFileURL(main).href);
process.exitCode = await run(process.argv.slice(2));
