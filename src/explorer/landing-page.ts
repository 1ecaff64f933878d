import { createHash } from "node:crypto";
import type { ApolloServerPlugin } from "@apollo/server";
import { EXPLORER_ASSETS_PATH, explorerBundle } from "./assets.js";
import { BOOTSTRAP_SCRIPT } from "./bootstrap.js";

export { EXPLORER_ASSETS_PATH, explorerAsset, type ExplorerAsset } from "./assets.js";

export const SERVICE_TITLE = "portrait-graph — Tencent Cloud Chat profiles";

/** The script Apollo Server's own default landing page embeds (`DEFAULT_EMBEDDED_SANDBOX_VERSION` v2). */
export const SANDBOX_SCRIPT_URL =
  "https://embeddable-sandbox.cdn.apollographql.com/v2/embeddable-sandbox.umd.production.min.js";
const SANDBOX_CDN = new URL(SANDBOX_SCRIPT_URL).origin;
const SANDBOX_FRAME = "https://sandbox.embed.apollographql.com";
/** How long Apollo's CDN gets before the page falls back to the bundled GraphiQL. */
const SANDBOX_TIMEOUT_MS = 1500;

export interface ExplorerLandingPageOptions {
  /** Path of the GraphQL endpoint, e.g. "/graphql". */
  endpointPath: string;
  /** The operation both explorers open with. */
  document: string;
  /** Headers both explorers open with, e.g. the demo user's token; ignored unless `development`. */
  headers?: Record<string, string>;
  development: boolean;
  /** Whether callers without a token may read the schema (ANONYMOUS_INTROSPECTION): the page says which holds. */
  anonymousIntrospection: boolean;
}

const STYLE = `
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font: 14px/1.45 system-ui, sans-serif; color: #1b1b1b; }
header { padding: 8px 16px; border-bottom: 1px solid #d6d6d6; background: #fafafa; }
h1 { font-size: 16px; margin: 0 0 4px; }
header p { margin: 2px 0; max-width: 110ch; }
code { font: 12px/1.4 ui-monospace, monospace; background: #eee; padding: 0 3px; overflow-wrap: anywhere; }
code.curl { display: block; width: fit-content; margin: 3px 0; padding: 2px 6px; }
#explorer-status { color: #555; }
#explorer { flex: 1; min-height: 0; position: relative; }
#explorer iframe, .graphiql-root { display: block; width: 100%; height: 100%; border: 0; }
`;

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;

// Everything the page may load: its own bundle ('self'), Apollo's Sandbox script and frame, the
// inline bootstrap and style by hash (no 'unsafe-inline', no nonce to mint per request), GraphiQL's
// inlined fonts (data:), and GraphQL requests to this origin only (Sandbox relays them through
// the page too). A <meta> CSP, as Apollo's own landing page uses, because a landing page plugin
// returns HTML only; it cannot set response headers. Known and accepted: GraphiQL's dialogs (Radix)
// inject a <style> that locks body scrolling; it is refused (one console line) and changes nothing
// here, as this page's body never scrolls.
const CSP = [
  "default-src 'none'",
  `script-src 'self' ${sha256(BOOTSTRAP_SCRIPT)} ${SANDBOX_CDN}`,
  `style-src 'self' ${sha256(STYLE)} ${SANDBOX_CDN}`,
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  `frame-src ${SANDBOX_FRAME}`,
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

/**
 * Apollo Server landing page: Apollo Sandbox when its CDN loads, else the GraphiQL bundled by
 * `npm run build`, at the same URL. Serve the bundle with `explorerAsset`.
 *
 *   plugins: [explorerLandingPage({ endpointPath: "/graphql", document, headers, development, anonymousIntrospection })]
 */
export function explorerLandingPage(options: ExplorerLandingPageOptions): ApolloServerPlugin {
  return {
    async serverWillStart() {
      if (!explorerBundle())
        console.warn("portrait-graph: the offline explorer is not built (dist/explorer); run `npm run build`");
      const html = renderExplorerPage(options);
      return {
        async renderLandingPage() {
          return { html };
        },
      };
    },
  };
}

/** The landing page's HTML: readable with JavaScript off, an explorer with it on. */
export function renderExplorerPage(options: ExplorerLandingPageOptions): string {
  const version = explorerBundle()?.version;
  const asset = (name: string) => `${EXPLORER_ASSETS_PATH}${name}${version ? `?v=${version}` : ""}`;
  // Only a development start pre-fills headers: in production the page must hold no secret.
  const headers =
    options.development && options.headers && Object.keys(options.headers).length > 0 ? options.headers : undefined;
  const config = {
    endpointPath: options.endpointPath,
    document: options.document,
    ...(headers ? { headers } : {}),
    sandbox: { script: SANDBOX_SCRIPT_URL, timeoutMs: SANDBOX_TIMEOUT_MS },
    graphiql: { js: asset("graphiql.js"), css: asset("graphiql.css") },
  };
  const endpoint = escapeHtml(options.endpointPath);
  // Say what holds on this deployment: without a token, the schema answers or nothing does.
  const withoutToken = options.anonymousIntrospection
    ? "without a token only the schema (introspection) answers"
    : "every operation needs one, reading the schema included";
  const prefilled = headers
    ? "In development the explorer below opens with an example query and the demo user's token."
    : "Put a token in the explorer's headers to run operations.";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${SERVICE_TITLE}</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${SERVICE_TITLE}</h1>
<p id="how-to">GraphQL API for Tencent Cloud Chat user profiles. Query it with <code>POST ${endpoint}</code>, a JSON body
<code>{"query": "…", "variables": {…}}</code> and the header <code>Authorization: Bearer &lt;JWT&gt;</code> (its
<code>sub</code> is your Tencent UserID; ${withoutToken}), e.g.
<code class="curl">curl -s <span data-origin>http://&lt;host&gt;</span>${endpoint} -H 'content-type: application/json' -H 'authorization: Bearer &lt;JWT&gt;' -d '{"query":"{ me { id profile { nick } } }"}'</code>
${prefilled}</p>
<p id="explorer-status" role="status"></p>
<noscript><p>JavaScript is off, so there is no explorer here; the curl line above works from any terminal.</p></noscript>
</header>
<main id="explorer"></main>
<script type="application/json" id="explorer-config">${jsonForHtml(config)}</script>
<script>${BOOTSTRAP_SCRIPT}</script>
</body>
</html>
`;
}

// JSON inside <script>: escape what could close the element or start a comment there; the
// browser's JSON.parse reads the \u escapes back. (Every occurrence, hence the /g.)
function jsonForHtml(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
