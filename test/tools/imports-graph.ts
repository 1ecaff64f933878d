/**
 * Draws the folder-level import graph of src/ (from dependency-cruiser's analysis) as a Mermaid
 * flowchart into docs/architecture.md, between the "imports graph" markers, and fails if any import
 * points back up the data path. `npm run imports:graph`; `npm run check:imports` enforces the
 * file-level rules of .dependency-cruiser.cjs.
 */
import { readFile, writeFile } from "node:fs/promises";
import { cruise, type ICruiseResult } from "dependency-cruiser";

// Lower layers never import higher ones; every edge must go from a higher rank to a lower one.
const RANK: Record<string, number> = {
  entry: 7,
  server: 6,
  explorer: 5,
  graphql: 5,
  profile: 4,
  upstream: 3,
  tencent: 2,
  redis: 2,
  config: 5,
  // The telemetry preload reads its config; main.ts runs its shutdown hook.
  telemetry: 6,
  emulator: 4.5,
  defaults: 0,
  util: 0,
};

/** The node a file belongs to: its folder, with the entry points and the defaults module apart. */
function nodeOf(path: string): string {
  if (path === "src/config/defaults.ts") return "defaults";
  if (/^src\/(main|print-schema|token)\.ts$/.test(path) || path === "src/emulator/main.ts") return "entry";
  if (path === "src/config.ts") return "config";
  return /^src\/([^/]+)\//.exec(path)?.[1] ?? path;
}

const result = (await cruise(["src"], {
  validate: false,
  doNotFollow: { path: "node_modules" },
  tsPreCompilationDeps: true,
  tsConfig: { fileName: "tsconfig.json" },
})) as { output: ICruiseResult };

const edges = new Set<string>();
for (const module of result.output.modules) {
  if (!module.source.startsWith("src/")) continue;
  for (const dep of module.dependencies) {
    if (!dep.resolved.startsWith("src/")) continue;
    const [from, to] = [nodeOf(module.source), nodeOf(dep.resolved)];
    if (from !== to && from !== "client" && to !== "client") edges.add(`${from} --> ${to}`);
  }
}
const backwards = [...edges].filter((edge) => {
  const [from, to] = edge.split(" --> ") as [string, string];
  return (RANK[from] ?? 99) <= (RANK[to] ?? 99) && !(from === "config" && to === "emulator");
});
if (backwards.length > 0) {
  console.error(`imports pointing back up the data path:\n  ${backwards.join("\n  ")}`);
  process.exit(1);
}

const chart = [
  "```mermaid",
  "flowchart TD",
  "  entry[main.ts · emulator/main.ts · print-schema.ts · token.ts]",
  ...[...edges].sort().map((edge) => `  ${edge}`),
  "```",
].join("\n");
const file = "docs/architecture.md";
const doc = await readFile(file, "utf8");
const start = "<!-- imports graph: npm run imports:graph -->";
const end = "<!-- end of imports graph -->";
const at = doc.indexOf(start);
const updated =
  at < 0
    ? `${doc.trimEnd()}\n\n${start}\n${chart}\n${end}\n`
    : `${doc.slice(0, at)}${start}\n${chart}\n${doc.slice(doc.indexOf(end))}`;
await writeFile(file, updated);
console.log(`${edges.size} folder-level import edges, none pointing back; written to ${file}`);
