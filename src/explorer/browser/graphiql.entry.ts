// Browser entry of the local explorer: esbuild bundles it with GraphiQL 3, React 18 and their CSS
// into dist/explorer (see ../build.ts). The landing page's bootstrap loads it only when Apollo
// Sandbox cannot be loaded from Apollo's CDN, then calls `portraitExplorer.mount`. It touches no
// DOM API itself (the bootstrap hands it the element), so it type-checks without the DOM lib.
import { GraphiQL } from "graphiql";
import { createElement } from "react";
import { createRoot } from "react-dom/client";

export interface MountOptions {
  /** Absolute URL of the GraphQL endpoint (same origin as the page). */
  endpoint: string;
  /** The example operation the first tab opens with. */
  document: string;
  /** Development only: headers to pre-fill (the demo user's token). */
  headers?: Record<string, string>;
}

interface FetcherOptions {
  headers?: Record<string, unknown>;
}

/** A POST-only fetcher: JSON bodies are never "simple" requests, so Apollo's CSRF prevention passes. */
function fetcherFor(endpoint: string) {
  return async (params: unknown, options?: FetcherOptions): Promise<unknown> => {
    const response = await fetch(endpoint, {
      method: "POST",
      headers: {
        accept: "application/graphql-response+json, application/json",
        "content-type": "application/json",
        ...(options?.headers as Record<string, string> | undefined),
      },
      body: JSON.stringify(params),
    });
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      // A proxy error page or an empty body: show it in the result panel rather than a blank one.
      return { errors: [{ message: `HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 500)}` }] };
    }
  };
}

function mount(target: object, options: MountOptions): void {
  const headers = options.headers && Object.keys(options.headers).length > 0 ? options.headers : undefined;
  createRoot(target).render(
    createElement(GraphiQL, {
      fetcher: fetcherFor(options.endpoint),
      defaultQuery: options.document,
      ...(headers ? { headers: JSON.stringify(headers, null, 2), defaultEditorToolsVisibility: "headers" } : {}),
      // A token typed into the headers editor stays in memory, never in localStorage.
      shouldPersistHeaders: false,
    }),
  );
}

(globalThis as { portraitExplorer?: { mount: typeof mount } }).portraitExplorer = { mount };
