import type { ApolloServerPlugin } from "@apollo/server";
import type { KeyValueCache } from "@apollo/utils.keyvaluecache";
import type { FastifyRequest } from "fastify";
import { GraphQLError, type OperationDefinitionNode } from "graphql";
import { LRUCache } from "lru-cache";
import type { Context, Viewer } from "../graphql/context.js";
import { ErrorCode } from "../profile/error-codes.js";
import { sha256, type TrustedDocuments } from "../config/trusted-documents.js";
import type { Logger } from "./logger.js";
import { readsOnlySchema } from "./plugins/operation.plugin.js";

const HASH = /^(?:sha256:)?([0-9a-f]{64})$/;
// Distinct untrusted documents remembered in log mode, so each is logged once, not once per request.
const LOGGED_MAX = 10_000;

/**
 * Trusted documents: clients built with a manifest send a document's hash instead of its text,
 * and in strict mode nothing else runs (admin tokens and schema reads excepted).
 *
 * Three parts, wired by `createServer`:
 * - `store(apq)` wraps Apollo's APQ store, which Apollo consults for every hash-only request
 *   (`extensions.persistedQuery.sha256Hash`): manifest hashes are answered from the manifest, so
 *   they run without ever being registered, on every replica.
 * - `plugin` decides, once per operation, whether its document is one of the manifest's (by its
 *   text, however it arrived: by hash, or in full); if not, strict mode refuses it with
 *   OPERATION_NOT_TRUSTED (403) and log mode logs it once (hash and operation name, never the
 *   variables). The check runs after parsing and validation because the exceptions need the
 *   parsed operation and the caller; an untrusted document never executes or gets registered.
 * - `acceptDocumentId` (a Fastify hook) maps the GraphQL-over-HTTP persisted-document form,
 *   `{"documentId": "sha256:<hash>"}` in a POST body or `?documentId=sha256:<hash>` in a GET, to
 *   Apollo's extension.
 */
/** What the trusted-documents check looks at. */
export interface TrustedCheck {
  source: string;
  operation: OperationDefinitionNode | undefined;
  operationName: string | null | undefined;
  viewer: Viewer | undefined;
}

export function trustedDocuments({ manifest, mode }: TrustedDocuments, logger: Logger) {
  const trusted = new Set(manifest.values());
  const logged = new LRUCache<string, true>({ max: LOGGED_MAX });

  /** Throws OPERATION_NOT_TRUSTED (strict) or logs once (log) for a document outside the manifest. */
  const check = ({ source, operation, operationName, viewer }: TrustedCheck): void => {
    if (trusted.has(source)) return;
    // Callers without a token are refused (401) by the operation plugin, unless they only read the schema.
    if (!viewer) return;
    // Admin tooling (scripts, support consoles) is not built with the frontends' manifest.
    if (viewer.admin) return;
    // Introspection and `_service`: what explorers, codegen and routers read.
    if (readsOnlySchema(operation)) return;
    const hash = sha256(source);
    if (mode === "log") {
      if (!logged.has(hash)) {
        logged.set(hash, true);
        logger.warn(
          { hash, operationName: operationName ?? null },
          "untrusted document (not in the TRUSTED_DOCUMENTS manifest; strict mode would refuse it)",
        );
      }
      return;
    }
    throw new GraphQLError(
      "This service runs only the documents its clients were built with (TRUSTED_DOCUMENTS): send the document's hash, or add the document to the manifest",
      { extensions: { code: ErrorCode.OPERATION_NOT_TRUSTED, http: { status: 403 } } },
    );
  };

  const plugin: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ source, operation, operationName, contextValue }) {
          check({ source, operation, operationName, viewer: contextValue.viewer });
        },
      };
    },
  };

  return {
    plugin,
    /** The same check for the WebSocket and SSE transports. */
    check,
    store(inner: KeyValueCache<string>): KeyValueCache<string> {
      return {
        async get(key) {
          // Apollo prefixes its APQ keys with "apq:"; the hash is the client's, with or without "sha256:".
          const hash = key.startsWith("apq:") ? HASH.exec(key.slice(4))?.[1] : undefined;
          return (hash !== undefined ? manifest.get(hash) : undefined) ?? inner.get(key);
        },
        set: (key, value, options) => inner.set(key, value, options),
        delete: (key) => inner.delete(key),
      };
    },
    acceptDocumentId: async (request: FastifyRequest): Promise<void> => {
      if (request.method === "GET") {
        // Apollo's Fastify integration reads GET parameters from the raw URL, so the rewrite goes there.
        const url = new URL(request.url, "http://localhost");
        if (documentIdToExtensions(url.searchParams)) request.raw.url = `${url.pathname}${url.search}`;
        return;
      }
      const body = request.body;
      if (Array.isArray(body)) body.forEach(toPersistedQuery);
      else toPersistedQuery(body);
    },
  };
}

/** `{"documentId": "sha256:<hash>"}` → `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hash>"}}}`. */
function toPersistedQuery(piece: unknown): void {
  if (typeof piece !== "object" || piece === null) return;
  const body = piece as { documentId?: unknown; query?: unknown; extensions?: Record<string, unknown> };
  if (typeof body.documentId !== "string" || body.query !== undefined) return;
  const hash = HASH.exec(body.documentId)?.[1];
  if (!hash) return;
  body.extensions = { ...body.extensions, persistedQuery: { version: 1, sha256Hash: hash } };
  delete body.documentId;
}

/** The GET form: `?documentId=sha256:<hash>` → `?extensions={"persistedQuery":…}`; true when rewritten. */
function documentIdToExtensions(params: URLSearchParams): boolean {
  const documentId = params.get("documentId");
  if (documentId === null || params.has("query") || params.has("extensions")) return false;
  const hash = HASH.exec(documentId)?.[1];
  if (!hash) return false;
  params.delete("documentId");
  params.set("extensions", JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }));
  return true;
}
