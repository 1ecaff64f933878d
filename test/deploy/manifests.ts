import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, parseAllDocuments } from "yaml";

/** A YAML file as data (`<<` merge keys applied, as Compose applies them). */
export function readYaml<T = Record<string, unknown>>(path: string): T {
  return parse(readFileSync(path, "utf8"), { merge: true }) as T;
}

/** Every document of every YAML file in a directory (Kubernetes manifests), in file order. */
export function readYamlDocuments(dir: string): Record<string, unknown>[] {
  return readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name) && name !== "kustomization.yaml")
    .sort()
    .flatMap((name) =>
      parseAllDocuments(readFileSync(join(dir, name), "utf8"))
        .map((doc) => doc.toJS() as Record<string, unknown> | null)
        .filter((doc): doc is Record<string, unknown> => doc !== null),
    );
}

/**
 * Compose's variable interpolation: `${VAR}`, `${VAR:-default}` / `${VAR-default}` and
 * `${VAR:?message}` (an error when unset or empty), as `docker compose config` resolves it.
 */
export function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(
    /\$\{([A-Z0-9_]+)(?:(:?)([-?])([^}]*))?\}/g,
    (_, name: string, colon: string, op: string, arg: string) => {
      const raw = env[name];
      const missing = raw === undefined || (colon === ":" && raw === "");
      if (op === "?" && missing) throw new Error(`${name}: ${arg}`);
      if (op === "-" && missing) return arg;
      return raw ?? "";
    },
  );
}

/**
 * The variables the service and the emulator read: every name src/config/ reads (`env.NAME` or a
 * quoted name it checks), and the standard OpenTelemetry ones the SDK reads itself.
 */
export function configVariables(): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync("src/config")) {
    const text = readFileSync(join("src/config", file), "utf8");
    for (const [, name] of text.matchAll(/env\.([A-Z][A-Z0-9_]*)/g)) names.add(name!);
    for (const [, name] of text.matchAll(/"([A-Z][A-Z0-9_]{3,})"/g)) names.add(name!);
  }
  return names;
}

/** Read by the OpenTelemetry SDK (the preload starts it) rather than by src/config. */
export const SDK_VARIABLE = /^OTEL_(EXPORTER_OTLP_|BSP_|TRACES_SAMPLER|SERVICE_NAME$|RESOURCE_ATTRIBUTES$)/;

/** `10s`, `1m30s`, `500ms` (Compose durations) in milliseconds. */
export function durationMs(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as "ms" | "s" | "m" | "h"];
  }
  return total;
}
