import { Writable } from "node:stream";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient, type Client } from "graphql-ws";
import { afterEach, expect, vi } from "vitest";
import WebSocket from "ws";
import type { Service } from "./service.js";

/** What a profileChanged subscriber selects in these tests. */
export const PROFILE_CHANGED = `subscription($ids: [ID!]!, $after: String) {
  profileChanged(ids: $ids, after: $after) { cursor changedFields source user { id profile { nick } } changes { nick } }
}`;

export interface Change {
  cursor: string;
  changedFields: string[];
  source: string;
  user: { id: string; profile: { nick: string | null } | null };
  changes: { nick: string | null };
}

export interface Result {
  data?: { profileChanged: Change } | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** The `ws://` address of a service's `/graphql`. */
export const wsUrl = (svc: Pick<Service, "url">) => svc.url.replace(/^http/, "ws");

/** How a WebSocket client's connection ended: the close code and reason. */
export interface Closed {
  code: number;
  reason: string;
}

/**
 * graphql-ws clients (with `ws` as the WebSocket), each closed after the test. No retries: a test
 * sees every close. `closed` resolves with the first close event.
 */
export function useWsClients() {
  const open: Client[] = [];
  afterEach(async () => {
    while (open.length) await open.pop()!.dispose();
  });
  return (svc: Pick<Service, "url">, connectionParams?: Record<string, unknown>) => {
    let onClose!: (closed: Closed) => void;
    const closed = new Promise<Closed>((resolve) => (onClose = resolve));
    const client = createWsClient({
      url: wsUrl(svc),
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      ...(connectionParams ? { connectionParams } : {}),
      on: { closed: (event) => onClose(event as Closed) },
      // The socket's own error event is the close that follows, which `closed` reports.
      onNonLazyError: () => {},
    });
    open.push(client);
    return { client, closed };
  };
}

/** A subscription's results as they come, to take one at a time. */
export function results<T>(iterator: AsyncIterator<T>) {
  return {
    /** The next result (rejects if the subscription failed). */
    async next(): Promise<T> {
      const step = await iterator.next();
      if (step.done) throw new Error("the subscription completed");
      return step.value;
    },
    /** Resolves once the subscription completes (true) or with its next result (false). */
    async completes(): Promise<boolean> {
      return (await iterator.next()).done === true;
    },
    stop: () => iterator.return?.(),
  };
}

/** Subscribe over ws; resolves once the service holds the subscription (a change after it is seen). */
export async function subscribeWs(svc: Service, client: Client, ids: string[], after?: string) {
  const before = svc.server.changes!.subscriptions;
  const iterator = client.iterate<{ profileChanged: Change }>({
    query: PROFILE_CHANGED,
    variables: { ids, ...(after ? { after } : {}) },
  });
  const stream = results(iterator[Symbol.asyncIterator]());
  // The first next() sends the subscribe message.
  const first = stream.next();
  // A test that never takes it (the connection is closed on purpose) must not leave it unhandled.
  first.catch(() => {});
  await vi.waitFor(() => expect(svc.server.changes!.subscriptions).toBeGreaterThan(before), { interval: 5 });
  let taken = false;
  return {
    ...stream,
    next: () => {
      if (taken) return stream.next();
      taken = true;
      return first;
    },
  };
}

/** An SSE client (graphql-sse, distinct connections) with the service's user token. */
export function sseClient(svc: Pick<Service, "url">, token: string | null) {
  return createSseClient({
    url: `${svc.url}/stream`,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
  });
}

/** A logger destination that keeps every line, to look for what must not be logged. */
export function logLines() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

/** Set a user's nick through the service's own setProfile (the caller's own profile). */
export async function setNick(svc: Service, nick: string, token = svc.userToken) {
  const res = await svc.gql(`mutation($nick: String!) { setProfile(input: { nick: $nick }) { id } }`, { nick }, token);
  expect(res.errors).toBeUndefined();
}
