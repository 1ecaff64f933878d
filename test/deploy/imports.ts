import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, relative, resolve } from "node:path";

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;

/**
 * Every module the given compiled entry points load (static imports, re-exports, and dynamic
 * `import("literal")`), followed through relative imports: the local files, relative to `root`,
 * and the packages, by name.
 */
export function importGraph(root: string, entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = entries.map((entry) => resolve(root, entry));
  for (let file = queue.pop(); file; file = queue.pop()) {
    const name = relative(root, file);
    if (files.has(name)) continue;
    files.add(name);
    for (const [, specifier] of readFileSync(file, "utf8").matchAll(SPECIFIER)) {
      if (specifier!.startsWith(".")) queue.push(resolve(dirname(file), specifier!));
      else if (!specifier!.startsWith("node:") && !builtinModules.includes(specifier!)) {
        packages.add(packageName(specifier!));
      }
    }
  }
  return { files, packages };
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}
