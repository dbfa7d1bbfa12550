#!/usr/bin/env node
// Writes scenarios/scenario.schema.json from the scenario format's single definition
// (SCENARIO_FORMAT in src/sim/scenario.ts); `npm run schema` builds first. test/sim/schema.test.ts
// fails when the checked-in file differs from what this writes.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { scenarioSchemaText } from "../dist/sim/scenario.js";

const out = fileURLToPath(new URL("../scenarios/scenario.schema.json", import.meta.url));
writeFileSync(out, scenarioSchemaText());
console.log(`wrote ${out}`);
