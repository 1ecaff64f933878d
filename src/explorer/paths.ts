import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// This module runs from src/explorer (vitest) and from dist/src/explorer (npm start), so the
// package root is found by walking up to package.json rather than by a fixed number of "..".
function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) throw new Error(`portrait-graph: no package.json above ${from}`);
  }
}

const root = packageRoot(dirname(fileURLToPath(import.meta.url)));

/** Where `npm run build` writes the bundled GraphiQL (JS + CSS) and where the service reads it. */
export const EXPLORER_DIST = join(root, "dist", "explorer");

/** The browser entry esbuild bundles (TypeScript source; esbuild compiles it, tsc only checks it). */
export const EXPLORER_ENTRY = join(root, "src", "explorer", "browser", "graphiql.entry.ts");
