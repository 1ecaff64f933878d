import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EXPLORER_DIST } from "./paths.js";

/** Where the bundle is served. Below `/graphql/`, so it can never be mistaken for a GraphQL request. */
export const EXPLORER_ASSETS_PATH = "/graphql/explorer/";

/** A static file as any HTTP framework can send it. */
export interface ExplorerAsset {
  status: number;
  contentType: string;
  body: Buffer;
  cacheControl: string;
}

// A Map, not an object literal: a name such as "constructor" must not find anything.
const CONTENT_TYPES = new Map([
  ["graphiql.js", "text/javascript; charset=utf-8"],
  ["graphiql.css", "text/css; charset=utf-8"],
]);

interface Bundle {
  files: Map<string, Buffer>;
  /** Content hash; the page asks for `graphiql.js?v=<version>`, which is what makes `immutable` safe. */
  version: string;
}

let bundle: Bundle | undefined;

/** The built bundle, read once; undefined while `npm run build` has not produced it (checked again next time). */
export function explorerBundle(): Bundle | undefined {
  if (bundle) return bundle;
  const names = [...CONTENT_TYPES.keys()];
  if (!names.every((name) => existsSync(join(EXPLORER_DIST, name)))) return undefined;
  const files = new Map(names.map((name) => [name, readFileSync(join(EXPLORER_DIST, name))]));
  const hash = createHash("sha256");
  for (const body of files.values()) hash.update(body);
  bundle = { files, version: hash.digest("hex").slice(0, 12) };
  return bundle;
}

/**
 * The bundled GraphiQL's files, independent of the HTTP framework. Undefined for paths outside
 * `assetsPath` (let the router carry on); a 404 for unknown names or an unbuilt bundle.
 *
 *   const asset = explorerAsset(url.pathname);   // "/graphql/explorer/graphiql.js"
 *   if (asset) reply.status(asset.status).type(asset.contentType).header("cache-control", asset.cacheControl).send(asset.body);
 */
export function explorerAsset(pathname: string, assetsPath = EXPLORER_ASSETS_PATH): ExplorerAsset | undefined {
  if (!pathname.startsWith(assetsPath)) return undefined;
  const name = pathname.slice(assetsPath.length);
  const contentType = CONTENT_TYPES.get(name);
  const body = contentType ? explorerBundle()?.files.get(name) : undefined;
  if (!contentType || !body) {
    const message = contentType ? "The explorer bundle is not built; run `npm run build`.\n" : "Not found.\n";
    return {
      status: 404,
      contentType: "text/plain; charset=utf-8",
      body: Buffer.from(message),
      cacheControl: "no-store",
    };
  }
  return { status: 200, contentType, body, cacheControl: "public, max-age=31536000, immutable" };
}
