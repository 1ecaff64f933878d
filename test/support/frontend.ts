import { format } from "node:util";
import { vi } from "vitest";

/** One HTTP request a client library sent. */
export interface Sent {
  method: string;
  operationName: string | undefined;
  /** The request carried a hash and no document text. */
  hashOnly: boolean;
}

/**
 * A `fetch` for a client library's own option (`HttpLink({ fetch })`, urql's `fetch`,
 * graphql-request's `fetch`) that records every request, then sends it with the global fetch
 * unchanged. Each response body is read before the client sees it, so "the response arrived"
 * and "the client has it" are one event that `idle` can wait for.
 */
export function recordingFetch() {
  const sent: Sent[] = [];
  const inFlight = new Set<Promise<Response>>();

  const fetchFn = (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    const body = typeof init?.body === "string" ? (JSON.parse(init.body) as Record<string, unknown>) : undefined;
    const query = (body?.query as string | undefined) ?? url.searchParams.get("query") ?? undefined;
    const extensions =
      (body?.extensions as Record<string, unknown> | undefined) ??
      JSON.parse(url.searchParams.get("extensions") ?? "{}");
    sent.push({
      method,
      operationName:
        (body?.operationName as string | undefined) ??
        url.searchParams.get("operationName") ??
        /^\s*(?:query|mutation)\s+(\w+)/.exec(query ?? "")?.[1],
      hashOnly: query === undefined && (extensions as { persistedQuery?: unknown }).persistedQuery !== undefined,
    });
    const response = fetch(input, init).then(
      async (res) =>
        new Response(await res.arrayBuffer(), { status: res.status, statusText: res.statusText, headers: res.headers }),
    );
    inFlight.add(response);
    const forget = () => void inFlight.delete(response);
    response.then(forget, forget);
    return response;
  };

  return {
    fetch: fetchFn,
    sent,
    /** The operation names sent so far, in order. */
    operations: () => sent.map((s) => s.operationName),
    /**
     * Resolves once the client is quiet: nothing in flight, `settled()` true, and no request
     * started by what the client did with the last response. The client handles a response in
     * promise callbacks, all run before `setImmediate` fires; there Apollo Client may set a 0 ms
     * timer to re-read a watched query that a cache write touched (and refetch it if fields are
     * missing). A 0 ms timer set after that one runs after it, so by then any such request has
     * started and is waited for on the next round.
     */
    async idle(settled: () => boolean = () => true): Promise<void> {
      do {
        await Promise.allSettled([...inFlight]);
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setTimeout(resolve, 0));
      } while (inFlight.size > 0 || !settled());
    },
  };
}

/**
 * Collect what is printed through `console.warn` and `console.error` (Apollo Client's invariant
 * logger prints there) instead of printing it. Call `restore()` when done.
 */
export function captureConsole() {
  const messages: string[] = [];
  const spies = (["warn", "error"] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void messages.push(format(...args))),
  );
  return {
    messages,
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}
