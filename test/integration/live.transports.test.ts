import { Client, request } from "undici";
import { describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import { createLogger } from "../../src/server/logger.js";
import {
  logLines,
  PROFILE_CHANGED,
  results,
  setNick,
  sseClient,
  subscribeWs,
  useWsClients,
  wsUrl,
  type Change,
} from "../support/live.js";
import type { ServerOptions } from "../../src/server/server.js";
import { token, useServices } from "../support/service.js";

// Live updates over real transports: graphql-ws and graphql-sse clients on loopback, against the
// service as main.ts wires it (the callback receiver on, changes on the in-process stream).
const TOKEN = "callback-token-of-the-test-app";
const ME = "zhang.wei";

describe("profileChanged over WebSocket and SSE", () => {
  const start = useServices();
  const connect = useWsClients();
  const live = (
    env: Record<string, string> = {},
    logger = createLogger({ level: "silent" }),
    serverOptions: Partial<ServerOptions> = {},
  ) => start({}, { logger, ...serverOptions }, {}, { changesEnv: { TIM_CALLBACK_TOKEN: TOKEN, ...env } });

  it("a ws subscriber sees setProfile's change and another writer's (the callback), in order, with the profile read afresh", async () => {
    const svc = await live();
    const { client } = connect(svc, { Authorization: `Bearer ${svc.userToken}` });
    const sub = await subscribeWs(svc, client, [ME]);

    await setNick(svc, "伟-1");
    const first = (await sub.next()).data!.profileChanged;
    expect(first).toMatchObject({
      // (Tencent calls back for this write too; the first of the two learnt is the change, once.)
      changedFields: ["nick"],
      changes: { nick: "伟-1" },
      user: { id: ME, profile: { nick: "伟-1" } },
    });

    await svc.emulator.changeProfile(ME, [{ Tag: "Tag_Profile_IM_Nick", Value: "伟-2" }], { platform: "iOS" });
    const second = (await sub.next()).data!.profileChanged;
    expect(second).toMatchObject({
      source: "CALLBACK",
      changes: { nick: "伟-2" },
      user: { profile: { nick: "伟-2" } },
    });
    expect(second.cursor).not.toBe(first.cursor);
    await sub.stop();
    await vi.waitFor(() => expect(svc.server.changes!.subscriptions).toBe(0), { interval: 5 });
  });

  it("a client that reconnects with the cursor of the last change it saw receives the missed change, once", async () => {
    const svc = await live();
    const auth = { Authorization: `Bearer ${svc.userToken}` };
    const first = connect(svc, auth);
    const sub = await subscribeWs(svc, first.client, [ME]);
    await setNick(svc, "seen");
    const seen = (await sub.next()).data!.profileChanged;
    await first.client.dispose(); // the connection goes away
    await vi.waitFor(() => expect(svc.server.changes!.subscriptions).toBe(0), { interval: 5 });

    await setNick(svc, "missed");
    const again = connect(svc, auth);
    const resumed = await subscribeWs(svc, again.client, [ME], seen.cursor);
    const missed = (await resumed.next()).data!.profileChanged;
    expect(missed.changes.nick).toBe("missed");
    // Once: the next thing it receives is the next change, not the missed one again.
    await setNick(svc, "live");
    expect((await resumed.next()).data!.profileChanged.changes.nick).toBe("live");
  });

  it("an SSE subscriber receives a change; without a token, ws and SSE are refused with a readable reason and the token is never logged", async () => {
    const log = logLines();
    const svc = await live({}, createLogger({ level: "debug", destination: log.destination }));

    const sse = sseClient(svc, svc.userToken);
    const before = svc.server.changes!.subscriptions;
    const stream = results(
      sse.iterate<{ profileChanged: Change }>({ query: PROFILE_CHANGED, variables: { ids: [ME] } }),
    );
    const next = stream.next();
    await vi.waitFor(() => expect(svc.server.changes!.subscriptions).toBe(before + 1), { interval: 5 });
    await setNick(svc, "over SSE");
    expect((await next).data!.profileChanged).toMatchObject({ changes: { nick: "over SSE" } });
    await stream.stop();
    sse.dispose();
    // The client left: its subscription is let go at once, not at the account's next change.
    await vi.waitFor(() => expect(svc.server.changes!.subscriptions).toBe(before), { interval: 5 });

    // SSE without a token, and with a bad one: 401 and why, as JSON.
    const post = (authorization?: string) =>
      request(`${svc.url}/stream`, {
        method: "POST",
        headers: {
          accept: "text/event-stream",
          "content-type": "application/json",
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ query: PROFILE_CHANGED, variables: { ids: [ME] } }),
      });
    const anonymous = await post();
    expect(anonymous.statusCode).toBe(401);
    expect(await anonymous.body.json()).toMatchObject({
      errors: [
        { message: expect.stringContaining("bearer token is required"), extensions: { code: "UNAUTHENTICATED" } },
      ],
    });
    const forged = await token(ME, { secret: "another-secret-another-secret-another-secret" });
    const bad = await post(`Bearer ${forged}`);
    expect(bad.statusCode).toBe(401);
    expect(JSON.stringify(await bad.body.json())).toContain("signature is invalid");

    // ws without a token, and with a forged one: closed with 4401 and why.
    expect(await connect(svc).closed).toEqual(
      expect.objectContaining({ code: 4401, reason: expect.stringContaining("bearer token is required") }),
    );
    const refused = await connect(svc, { Authorization: `Bearer ${forged}` }).closed;
    expect(refused).toEqual(
      expect.objectContaining({ code: 4401, reason: "Unauthorized: The token's signature is invalid" }),
    );
    // … also when the token comes in the upgrade request's header (as a router sends it).
    const raw = new WebSocket(wsUrl(svc), "graphql-transport-ws", { headers: { authorization: `Bearer ${forged}` } });
    raw.on("open", () => raw.send(JSON.stringify({ type: "connection_init" })));
    const [code, reason] = await new Promise<[number, string]>((resolve) =>
      raw.on("close", (c: number, r: Buffer) => resolve([c, r.toString()])),
    );
    expect([code, reason]).toEqual([4401, "Unauthorized: The token's signature is invalid"]);

    const logged = log.lines.join("\n");
    expect(logged).not.toContain(forged);
    expect(logged).not.toContain(svc.userToken);
    expect(logged).toContain("live update refused");
  });

  it("bounds: a connection over MAX_SUBSCRIPTIONS_PER_CONNECTION is refused that operation; queries are sent to /graphql", async () => {
    const svc = await live({ MAX_SUBSCRIPTIONS_PER_CONNECTION: "2", SUBSCRIPTION_INIT_TIMEOUT_MS: "200" }, undefined, {
      limits: { maxAliases: 1, bodyLimitBytes: 4096 },
    });
    const { client } = connect(svc, { Authorization: `Bearer ${svc.userToken}` });
    await subscribeWs(svc, client, [ME]);
    await subscribeWs(svc, client, ["li.na"]);
    const third = results(client.iterate({ query: PROFILE_CHANGED, variables: { ids: ["sato.yuki"] } }));
    await expect(third.next()).rejects.toEqual([
      expect.objectContaining({
        message: expect.stringContaining("MAX_SUBSCRIPTIONS_PER_CONNECTION"),
        extensions: { code: "SUBSCRIPTION_LIMIT_EXCEEDED" },
      }),
    ]);
    // Another connection has room: what it may run is what HTTP allows, and only subscriptions.
    const other = connect(svc, { Authorization: `Bearer ${svc.userToken}` }).client;
    const query = results(other.iterate({ query: "{ me { id } }" }));
    await expect(query.next()).rejects.toEqual([
      expect.objectContaining({
        message: expect.stringContaining("Only subscriptions"),
        extensions: { code: "BAD_REQUEST" },
      }),
    ]);
    // The same validation as over HTTP: graphql-armor's bounds (MAX_ALIASES is 1 here), the schema.
    const aliased = results(
      other.iterate({ query: `subscription { profileChanged(ids: ["a"]) { a: cursor b: cursor } }` }),
    );
    await expect(aliased.next()).rejects.toEqual([
      expect.objectContaining({ message: expect.stringMatching(/Aliases limit of 1 exceeded.*\(MAX_ALIASES\)/) }),
    ]);
    const unknown = results(other.iterate({ query: `subscription { profileChanged(ids: ["a"]) { nope } }` }));
    await expect(unknown.next()).rejects.toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: "GRAPHQL_VALIDATION_FAILED" }) }),
    ]);
    // The per-connection operations stay within the bound: two held on the hub.
    expect(svc.server.changes!.subscriptions).toBe(2);

    // A socket that never sends connection_init is closed (4408); a message over BODY_LIMIT_BYTES too (1009).
    const closeOf = (socket: WebSocket) =>
      new Promise<number>((resolve) => socket.on("close", (code: number) => resolve(code)));
    const idle = new WebSocket(wsUrl(svc), "graphql-transport-ws");
    expect(await closeOf(idle)).toBe(4408);
    const big = new WebSocket(wsUrl(svc), "graphql-transport-ws");
    big.on("open", () => big.send(JSON.stringify({ type: "connection_init", payload: { pad: "x".repeat(5000) } })));
    expect(await closeOf(big)).toBe(1009);
  });

  it("a subscriber that falls more than SUBSCRIPTION_QUEUE_MAX changes behind is dropped with SUBSCRIBER_TOO_SLOW", async () => {
    const svc = await live({ SUBSCRIPTION_QUEUE_MAX: "1" });
    const { client } = connect(svc, { Authorization: `Bearer ${svc.userToken}` });
    const ids = ["zhang.wei", "li.na", "sato.yuki"];
    const sub = await subscribeWs(svc, client, ids);
    // Three changes at once: while the first is executed (it reads the profile from Tencent), the
    // other two wait in a queue of one.
    const hub = svc.server.changes!;
    await Promise.all(
      ids.map((account, i) =>
        hub.received({
          account,
          eventTime: Date.now() + i,
          items: [{ Tag: "Tag_Profile_IM_Nick", Value: `burst-${i}` }],
          source: "callback",
        }),
      ),
    );
    const outcome = await (async () => {
      for (;;) {
        try {
          await sub.next();
        } catch (error) {
          return error;
        }
      }
    })();
    expect(outcome).toEqual([expect.objectContaining({ extensions: { code: "SUBSCRIBER_TOO_SLOW" } })]);
    expect(hub.subscriptions).toBe(0);
  });

  it("a subscription ends with UNAUTHENTICATED when the token it was opened with expires, over ws and SSE", async () => {
    const svc = await live();
    // exp has a resolution of seconds: this token expires one to two seconds from now.
    const shortLived = await token(ME, { expiresIn: "2s" });
    const { client } = connect(svc, { Authorization: `Bearer ${shortLived}` });
    const ws = await subscribeWs(svc, client, [ME]);
    const sse = sseClient(svc, shortLived);
    const before = svc.server.changes!.subscriptions;
    const stream = results(
      sse.iterate<{ profileChanged: Change }>({ query: PROFILE_CHANGED, variables: { ids: [ME] } }),
    );
    const sseNext = stream.next();
    await vi.waitFor(() => expect(svc.server.changes!.subscriptions).toBe(before + 1), { interval: 5 });

    const wsOutcome = await ws.next().then(
      () => "a change",
      (errors: unknown) => errors,
    );
    expect(wsOutcome).toEqual([expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" } })]);
    expect((await sseNext).errors).toEqual([expect.objectContaining({ extensions: { code: "UNAUTHENTICATED" } })]);
    expect(await stream.completes()).toBe(true);
    sse.dispose();
    await vi.waitFor(() => expect(svc.server.changes!.subscriptions).toBe(0), { interval: 5 });
  });

  it("heartbeats (a ws ping, an SSE comment) each SUBSCRIPTION_HEARTBEAT_MS, and /metrics counts transport subscriptions", async () => {
    const svc = await live({ SUBSCRIPTION_HEARTBEAT_MS: "1000" });
    const ws = connect(svc, { Authorization: `Bearer ${svc.userToken}` });
    await subscribeWs(svc, ws.client, [ME]);
    // A raw SSE stream, to see its comment lines (graphql-sse's client hides them).
    const controller = new AbortController();
    const stream = await request(`${svc.url}/stream`, {
      method: "POST",
      headers: {
        accept: "text/event-stream",
        "content-type": "application/json",
        authorization: `Bearer ${svc.userToken}`,
      },
      body: JSON.stringify({ query: PROFILE_CHANGED, variables: { ids: [ME] } }),
      signal: controller.signal,
    });
    expect(stream.statusCode).toBe(200);
    expect(stream.headers["content-type"]).toContain("text/event-stream");
    await vi.waitFor(() => expect(svc.server.changes!.subscriptions).toBe(2), { interval: 5 });

    // (On a connection of its own, closed after: a keep-alive connection idle beside an open SSE
    // stream kept app.close() waiting for the keep-alive timeout.)
    const scraper = new Client(new URL(svc.url).origin);
    const metrics = await (await scraper.request({ path: "/metrics", method: "GET" })).body.text();
    await scraper.close();
    expect(metrics).toMatch(/^portrait_graph_subscriptions 2$/m);
    expect(metrics).toMatch(/^portrait_graph_subscription_connections\{transport="ws"\} 1$/m);
    expect(metrics).toMatch(/^portrait_graph_subscription_connections\{transport="sse"\} 1$/m);

    // The server's ping (the client answers with a pong by itself) …
    const raw = new WebSocket(wsUrl(svc), "graphql-transport-ws");
    raw.on("open", () =>
      raw.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${svc.userToken}` } })),
    );
    await new Promise((resolve) => raw.once("ping", resolve));
    raw.close();
    // … and the SSE comment: the one sent at the start, then the heartbeat's.
    let comments = 0;
    for await (const chunk of stream.body) {
      comments += (String(chunk).match(/^:$/gm) ?? []).length;
      if (comments >= 2) break;
    }
    expect(comments).toBeGreaterThanOrEqual(2);
    controller.abort();
    await vi.waitFor(() => expect(svc.server.changes!.subscriptions).toBe(1), { interval: 5 });
  });

  it("drain: WebSockets close with 1001 going away, SSE streams complete, and the server closes without waiting them out", async () => {
    const svc = await live();
    const ws = connect(svc, { Authorization: `Bearer ${svc.userToken}` });
    await subscribeWs(svc, ws.client, [ME]);
    const sse = sseClient(svc, svc.userToken);
    const stream = results(sse.iterate({ query: PROFILE_CHANGED, variables: { ids: [ME] } }));
    const completed = stream.completes();
    await vi.waitFor(() => expect(svc.server.changes!.subscriptions).toBe(2), { interval: 5 });

    const started = performance.now();
    const timeoutMs = 10_000;
    await svc.server.shutdown(timeoutMs);
    expect(performance.now() - started).toBeLessThan(timeoutMs);
    expect(await ws.closed).toEqual(expect.objectContaining({ code: 1001 }));
    expect(await completed).toBe(true);
    sse.dispose();
  });
});
