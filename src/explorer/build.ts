import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { build } from "esbuild";
import { EXPLORER_DIST, EXPLORER_ENTRY } from "./paths.js";

/**
 * Bundles the local explorer (GraphiQL 3 + React 18, from node_modules, never a CDN) into
 * dist/explorer/graphiql.js and graphiql.css. Run by `npm run build` after tsc:
 *
 *   node dist/src/explorer/build.js
 */
const require = createRequire(import.meta.url);

await build({
  entryPoints: [
    { in: EXPLORER_ENTRY, out: "graphiql" },
    // GraphiQL's own stylesheet, with its Roboto and Fira Code fonts inlined as data: URLs, so the
    // page needs no font host.
    { in: require.resolve("graphiql/graphiql.css"), out: "graphiql" },
  ],
  outdir: EXPLORER_DIST,
  bundle: true,
  minify: true,
  format: "iife",
  platform: "browser",
  target: ["es2020"],
  // React and graphql pick their production builds (and drop dev-only checks) from this.
  define: { "process.env.NODE_ENV": '"production"' },
  logLevel: "warning",
});

const kB = (file: string) => `${(statSync(join(EXPLORER_DIST, file)).size / 1024).toFixed(0)} kB`;
console.log(`explorer bundle: dist/explorer/graphiql.js ${kB("graphiql.js")}, graphiql.css ${kB("graphiql.css")}`);
