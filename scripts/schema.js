#!/usr/bin/env node
// Writes the files generated from single definitions (`npm run schema` builds first):
//  - scenarios/scenario.schema.json from the scenario format (SCENARIO_FORMAT in src/sim/scenario.ts);
//    test/sim/validation-schema.test.ts fails when the checked-in file differs;
//  - docs/messages.md from the wire format (the schemas in src/protocol/messages.ts) and the roles'
//    authority tables; test/protocol/common/messages-doc.test.ts fails when the checked-in file differs.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { messagesDocumentText } from "../dist/protocol/messages-doc.js";
import { scenarioSchemaText } from "../dist/sim/scenario.js";

for (const [path, text] of [
  ["../scenarios/scenario.schema.json", scenarioSchemaText()],
  ["../docs/messages.md", messagesDocumentText()],
]) {
  const out = fileURLToPath(new URL(path, import.meta.url));
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
