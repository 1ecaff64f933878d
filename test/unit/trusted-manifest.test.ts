import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readServiceSettings } from "../../src/config.js";

const MANIFEST = "test/__generated__/frontend/persisted-documents.json";
const dir = mkdtempSync(join(tmpdir(), "trusted-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const settings = (env: Record<string, string>) => readServiceSettings(env);

describe("TRUSTED_DOCUMENTS", () => {
  it("loads the manifest codegen wrote, keyed by bare hex hashes, in strict mode by default", () => {
    const trusted = settings({ TRUSTED_DOCUMENTS: MANIFEST }).trustedDocuments!;
    expect(trusted.mode).toBe("strict");
    expect(trusted.manifest.size).toBe(4);
    for (const [hash, document] of trusted.manifest) expect(sha256(document)).toBe(hash);
    expect(settings({ TRUSTED_DOCUMENTS: MANIFEST, TRUSTED_DOCUMENTS_MODE: "log" }).trustedDocuments!.mode).toBe("log");
  });

  it("is off when unset", () => {
    expect(settings({}).trustedDocuments).toBeUndefined();
  });

  const doc = "{ me { id } }";
  it.each([
    ["a missing file", join(dir, "missing.json"), /cannot read it \(ENOENT\)/],
    ["a file that is not JSON", file("broken.json", "{ not json"), /it is not JSON/],
    ["JSON that is not an object", file("list.json", JSON.stringify([doc])), /not a JSON object/],
    [
      "a key that is not a sha256 hash",
      file("key.json", JSON.stringify({ abc: doc })),
      /key "abc" is not a sha256 hash/,
    ],
    [
      "a document that does not hash to its key",
      file("hash.json", JSON.stringify({ [sha256("{ other }")]: doc })),
      /does not hash to it/,
    ],
    [
      "a document that does not parse",
      file("parse.json", JSON.stringify({ [sha256("{ me {")]: "{ me {" })),
      /does not parse/,
    ],
    ["an empty manifest", file("empty.json", "{}"), /holds no documents/],
  ])("refuses %s, naming the variable and the path", (_name, path, reason) => {
    expect(() => settings({ TRUSTED_DOCUMENTS: path })).toThrow(`TRUSTED_DOCUMENTS=${JSON.stringify(path)} is invalid`);
    expect(() => settings({ TRUSTED_DOCUMENTS: path })).toThrow(reason);
  });

  it("refuses an unknown mode, and a mode without a manifest", () => {
    expect(() => settings({ TRUSTED_DOCUMENTS: MANIFEST, TRUSTED_DOCUMENTS_MODE: "audit" })).toThrow(
      /TRUSTED_DOCUMENTS_MODE="audit" is invalid: expected one of strict, log/,
    );
    expect(() => settings({ TRUSTED_DOCUMENTS_MODE: "log" })).toThrow(
      /TRUSTED_DOCUMENTS_MODE="log" is invalid: expected TRUSTED_DOCUMENTS/,
    );
  });
});
