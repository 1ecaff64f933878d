/**
 * The metric names and label names a PromQL expression refers to, found by taking away what is not
 * one: string literals, range and offset durations, numbers, functions and aggregations (names
 * followed by `(`), keywords. Label names come from `{…}` matchers and `by`/`without`/`on`/
 * `ignoring` lists. Enough for dashboard queries; not a full PromQL parser.
 */
export function promqlReferences(expr: string): { metrics: Set<string>; labels: Set<string> } {
  const labels = new Set<string>();
  let text = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  text = text.replace(/\{([^}]*)\}/g, (_, matchers: string) => {
    for (const [, name] of matchers.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labels.add(name!);
    return " ";
  });
  text = text.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _kw, list: string) => {
    for (const name of list
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean))
      labels.add(name);
    return " ";
  });
  text = text.replace(/\[[^\]]*\]/g, " ").replace(/\boffset\s+\S+/g, " ");
  const metrics = new Set<string>();
  for (const [, name, call] of text.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (call || KEYWORDS.has(name!)) continue;
    metrics.add(name!);
  }
  return { metrics, labels };
}

const KEYWORDS = new Set(["and", "or", "unless", "bool", "inf", "nan", "Inf", "NaN"]);
