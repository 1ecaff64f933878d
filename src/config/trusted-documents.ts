import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse } from "graphql";

/** `strict`: only the manifest's documents run; `log`: everything runs, untrusted documents are logged. */
export type TrustedDocumentsMode = "strict" | "log";

export interface TrustedDocuments {
  /** sha256 (hex) → document, as read by `loadManifest`. */
  manifest: Map<string, string>;
  mode: TrustedDocumentsMode;
}

const HASH = /^(?:sha256:)?([0-9a-f]{64})$/;

/**
 * Read a persisted-documents manifest: a JSON object of sha256 hash → document, as the codegen
 * client preset writes it (`persistedDocuments: { hashAlgorithm: sha256 }`; keys may carry its
 * `sha256:` prefix). Every document must parse and hash to its key, so a corrupt or hand-edited
 * manifest fails at start-up rather than as refused requests. Throws with what is wrong.
 */
export function loadManifest(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`it is not JSON (${(error as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new Error('it is not a JSON object of {"sha256:<hash>": "<document>"}');
  const manifest = new Map<string, string>();
  for (const [key, document] of Object.entries(json)) {
    const hash = HASH.exec(key)?.[1];
    if (!hash)
      throw new Error(
        `key ${JSON.stringify(key.slice(0, 80))} is not a sha256 hash (64 hex digits, optionally prefixed "sha256:")`,
      );
    if (typeof document !== "string") throw new Error(`the document of ${key} is not a string`);
    if (sha256(document) !== hash) throw new Error(`the document of ${key} does not hash to it`);
    try {
      parse(document, { noLocation: true });
    } catch (error) {
      throw new Error(`the document of ${key} does not parse: ${(error as Error).message}`);
    }
    manifest.set(hash, document);
  }
  if (manifest.size === 0) throw new Error("it holds no documents");
  return manifest;
}

/** The hex sha256 of a document, as the manifest's keys and GraphQL-over-HTTP documentIds name it. */
export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
