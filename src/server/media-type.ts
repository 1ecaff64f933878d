/**
 * GraphQL over HTTP's response media types, and which one a request gets. The status of a refused
 * GraphQL request depends on it: `application/graphql-response+json` says "refused" with a 4xx;
 * `application/json` (no Accept, `*\/*`, legacy clients, Apollo Gateway's subgraph fetches) answers
 * 200 with the errors in the body, since with that type a 4xx might come from any intermediary,
 * and clients that see one (Apollo Gateway: "400: Bad Request") drop the body's message and code.
 */
export const GRAPHQL_RESPONSE_JSON = "application/graphql-response+json";
const JSON_TYPE = "application/json";

interface Range {
  type: string;
  subtype: string;
  q: number;
  order: number;
}

/**
 * Whether the answer to this Accept header is `application/graphql-response+json` rather than
 * `application/json`, decided as Apollo Server decides it (the `negotiator` package): each type
 * takes its most specific matching range, the higher q wins, then the more specific range, then the
 * earlier one, then `application/json` (listed first). No Accept at all: `application/json`.
 *
 *   prefersGraphQLResponseJson("application/graphql-response+json, application/json;q=0.9")   // true
 *   prefersGraphQLResponseJson("*\/*")                                                         // false
 */
export function prefersGraphQLResponseJson(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = parse(accept);
  const json = priority(JSON_TYPE, ranges);
  const graphql = priority(GRAPHQL_RESPONSE_JSON, ranges);
  if (!graphql || graphql.q <= 0) return false;
  if (!json || json.q <= 0) return true;
  return (graphql.q - json.q || graphql.s - json.s || json.order - graphql.order) > 0;
}

function parse(accept: string): Range[] {
  return accept.split(",").flatMap((part, order) => {
    const [range, ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    const [type, subtype] = (range ?? "").split("/");
    if (!type || !subtype) return [];
    const qParam = params.find((p) => p.startsWith("q="));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    return [{ type, subtype, q: Number.isFinite(q) ? q : 0, order }];
  });
}

function priority(mediaType: string, ranges: readonly Range[]): { q: number; s: number; order: number } | undefined {
  const [type, subtype] = mediaType.split("/") as [string, string];
  let best: { q: number; s: number; order: number } | undefined;
  for (const range of ranges) {
    let s = 0;
    if (range.type === type) s |= 4;
    else if (range.type !== "*") continue;
    if (range.subtype === subtype) s |= 2;
    else if (range.subtype !== "*") continue;
    const spec = { q: range.q, s, order: range.order };
    if (!best || (best.s - spec.s || best.q - spec.q || best.order - spec.order) < 0) best = spec;
  }
  return best;
}
