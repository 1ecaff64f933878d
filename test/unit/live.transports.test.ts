import { readFileSync } from "node:fs";
import { EventEmitter } from "node:events";
import { GraphQLError } from "graphql";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readChangeSettings } from "../../src/config/changes.js";
import { DEFAULTS } from "../../src/config/defaults.js";
import { buildSubgraph } from "../../src/graphql/schema.js";
import { createLogger } from "../../src/server/logger.js";
import { formatErrors } from "../../src/server/errors.js";
import { liveOperations } from "../../src/server/subscriptions.operation.js";
import { dropSlow } from "../../src/server/subscriptions.ws.js";
import type { Context } from "../../src/graphql/context.js";
import { TagRegistry } from "../../src/profile/tags.js";

const context = { production: false, embeddedEmulator: false };

describe("live-update transport settings", () => {
  it("default to the documented bounds and refuse nonsense", () => {
    expect(readChangeSettings({}, context).subscriptions).toEqual({
      maxPerProcess: 10_000,
      maxQueued: 100,
      heartbeatMs: 15_000,
      maxPerConnection: 20,
      maxBufferedBytes: 1_048_576,
      initTimeoutMs: 5_000,
    });
    const set = readChangeSettings(
      {
        MAX_SUBSCRIPTIONS_PER_CONNECTION: "3",
        SUBSCRIPTION_MAX_BUFFERED_BYTES: "65536",
        SUBSCRIPTION_INIT_TIMEOUT_MS: "250",
      },
      context,
    ).subscriptions;
    expect([set.maxPerConnection, set.maxBufferedBytes, set.initTimeoutMs]).toEqual([3, 65_536, 250]);
    expect(() => readChangeSettings({ MAX_SUBSCRIPTIONS_PER_CONNECTION: "0" }, context)).toThrow(
      /MAX_SUBSCRIPTIONS_PER_CONNECTION/,
    );
    expect(() => readChangeSettings({ SUBSCRIPTION_MAX_BUFFERED_BYTES: "10" }, context)).toThrow(
      /SUBSCRIPTION_MAX_BUFFERED_BYTES/,
    );
  });
});

describe("a slow WebSocket client (dropSlow)", () => {
  afterEach(() => vi.useRealTimers());

  /** A socket that records what the server did to it, and closes only when told its peer answered. */
  function fakeSocket() {
    const events = new EventEmitter();
    return Object.assign(events, {
      readyState: 1,
      closes: [] as [number, string][],
      terminated: 0,
      close(code: number, reason: string) {
        this.readyState = 2;
        this.closes.push([code, reason]);
      },
      terminate() {
        this.terminated++;
      },
    });
  }

  it("is closed with 1013 and a reason, once, and cut when it does not answer the close", () => {
    vi.useFakeTimers();
    const socket = fakeSocket();
    dropSlow(socket as never, 65_536);
    dropSlow(socket as never, 65_536); // the next result of another operation: already closing
    expect(socket.closes).toEqual([[1013, expect.stringMatching(/^Too slow: over 65536 bytes unsent/)]]);
    expect(Buffer.byteLength(socket.closes[0]![1])).toBeLessThanOrEqual(123);
    vi.advanceTimersByTime(999);
    expect(socket.terminated).toBe(0);
    vi.advanceTimersByTime(1);
    expect(socket.terminated).toBe(1);
  });

  it("that closes in time is not cut", () => {
    vi.useFakeTimers();
    const socket = fakeSocket();
    dropSlow(socket as never, 65_536);
    socket.emit("close");
    vi.advanceTimersByTime(5_000);
    expect(socket.terminated).toBe(0);
  });
});

describe("an operation over the subscription transports (liveOperations.prepare)", async () => {
  const schema = await buildSubgraph();
  const registry = TagRegistry.fromSpec("Test:string");
  const selected: string[][] = [];
  const operations = liveOperations({
    schema,
    limits: DEFAULTS.limits,
    development: false,
    policy: {
      maxAccountsPerOperation: 1000,
      maxEntriesPerOperation: 5000,
      maxEntitiesPerOperation: 5000,
      anonymousIntrospection: false,
    },
    context: (viewer, signal) =>
      ({
        viewer,
        signal,
        plan: undefined,
        profiles: { registry, select: (tags: Iterable<string>) => selected.push([...tags]) },
      }) as unknown as Context,
    formatError: formatErrors(createLogger({ level: "silent" }), false),
  });
  const viewer = { account: "zhang.wei", admin: false };

  it("needs a viewer, parses within MAX_TOKENS and serves only subscriptions", () => {
    const refused = (params: Record<string, unknown>, anonymous = false) => {
      const out = operations.prepare(anonymous ? undefined : viewer, params);
      expect(Array.isArray(out)).toBe(true);
      return operations.format(out as GraphQLError[])[0]!;
    };
    expect(refused({ query: 'subscription { profileChanged(ids: ["a"]) { cursor } }' }, true)).toMatchObject({
      extensions: { code: "UNAUTHENTICATED" },
    });
    expect(refused({ query: "{ me { id } }" })).toMatchObject({ extensions: { code: "BAD_REQUEST" } });
    expect(refused({ query: "mutation { setProfile(input: {}) { id } }" }).message).toContain("mutations");
    expect(refused({ query: "subscription {" })).toMatchObject({ extensions: { code: "GRAPHQL_PARSE_FAILED" } });
    expect(refused({ query: `subscription { ${"__typename ".repeat(3000)} }` }).message).toMatch(/MAX_TOKENS/);
    expect(refused({})).toMatchObject({ extensions: { code: "BAD_REQUEST" } });
    // The HTTP-only `http` extension (a 401's status and challenge) does not travel over a socket.
    expect(
      refused({ query: 'subscription { profileChanged(ids: ["a"]) { cursor } }' }, true).extensions,
    ).not.toHaveProperty("http");
  });

  it("reads exactly the profile tags the subscription selects, as a query would", () => {
    selected.length = 0;
    const out = operations.prepare(viewer, {
      query: "subscription($ids: [ID!]!) { profileChanged(ids: $ids) { cursor user { profile { nick gender } } } }",
      variables: { ids: ["li.na"] },
    });
    expect(Array.isArray(out)).toBe(false);
    expect(selected).toEqual([[expect.stringMatching(/Nick/), expect.stringMatching(/Gender/)]]);
  });

  it("accepts the README's ProfileChanged subscription", () => {
    const readme = readFileSync("README.md", "utf8");
    const query = /```graphql\n(subscription ProfileChanged[\s\S]*?)```/.exec(readme)?.[1];
    expect(query).toBeDefined();
    const out = operations.prepare(viewer, { query, variables: { ids: ["li.na"] } });
    expect(Array.isArray(out) ? operations.format(out) : "prepared").toBe("prepared");
  });
});
