/**
 * docs/messages.md is generated from the wire format's one definition (src/protocol/messages.ts) and
 * the roles' authority tables; the checked-in file must be what `npm run schema` writes now.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { messagesDocumentText } from "../../../src/protocol/messages-doc.js";
import { MESSAGE_SCHEMAS, MESSAGE_TYPES } from "../../../src/protocol/messages.js";

const ROOT = resolve(import.meta.dirname, "../../..");

describe("docs/messages.md", () => {
  const text = messagesDocumentText();

  it("docs: docs/messages.md is what `npm run schema` generates (run it after changing a message)", () => {
    expect(readFileSync(join(ROOT, "docs/messages.md"), "utf8")).toBe(text);
  });

  it("docs: the document has a section for every message, listing every field of its schema", () => {
    for (const type of MESSAGE_TYPES) {
      const section = text.split(`\n### ${type}\n`)[1]?.split("\n### ")[0];
      expect(section, type).toBeDefined();
      for (const field of Object.keys(MESSAGE_SCHEMAS[type].properties)) {
        if (Object.keys(MESSAGE_SCHEMAS[type].properties).length > 1) expect(section, `${type}.${field}`).toContain(`| \`${field}\` |`);
      }
    }
  });

  it("docs: every link inside the document points at a heading of it", () => {
    const anchors = new Set(
      [...text.matchAll(/^#{1,4} (.+)$/gm)].map((m) =>
        m[1]!
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, "")
          .replace(/ /g, "-"),
      ),
    );
    const broken = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!).filter((a) => !anchors.has(a));
    expect([...new Set(broken)]).toEqual([]);
  });
});
