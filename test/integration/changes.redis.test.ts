import { afterAll, expect, it, vi } from "vitest";
import type { ChangeEvent, ProfileChange } from "../../src/profile/changes/change.js";
import { ChangeHub } from "../../src/profile/changes/hub.js";
import { RedisChangeLedger } from "../../src/profile/changes/ledger.js";
import { RedisChangeStream } from "../../src/profile/changes/stream.redis.js";
import { describeRedis, startTcpProxy, useRedis } from "../support/redis.js";

const change = (account: string, eventTime: number, nick: string): ProfileChange => ({
  account,
  eventTime,
  items: [{ Tag: "Tag_Profile_IM_Nick", Value: nick }],
  source: "callback",
});

describeRedis("profile changes shared through Redis", () => {
  const fx = useRedis();
  const closing: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closing.reverse()) await close();
  });

  /** One replica: its own reader connection, the shared prefix. */
  async function replica(options: { window?: number; url?: string } = {}) {
    const shared = await fx.connect(options.url ? { url: options.url, maxReconnectDelayMs: 100 } : {});
    const reader = await fx.connect(options.url ? { url: options.url, maxReconnectDelayMs: 100 } : {});
    const stream = new RedisChangeStream({
      client: shared.link,
      reader: reader.link,
      keyPrefix: fx.prefix,
      window: options.window ?? 1000,
      blockMs: 200,
    });
    const ledger = new RedisChangeLedger({ client: shared.link, keyPrefix: fx.prefix });
    const heard: ChangeEvent[] = [];
    const hub = new ChangeHub({ ledger, stream, onChange: () => {} });
    stream.listen((event) => heard.push(event));
    await hub.start();
    closing.push(async () => {
      await hub.close();
      await stream.close();
    });
    return { hub, stream, heard };
  }

  it("a change received on one replica reaches every replica's listeners, once, in order", async () => {
    const a = await replica();
    const b = await replica();
    expect(await a.hub.received(change("x", 1, "one"))).toBe("new");
    // The same callback delivered again, this time to the other replica: the shared ledger knows it.
    expect(await b.hub.received(change("x", 1, "one"))).toBe("duplicate");
    expect(await b.hub.received(change("x", 2, "two"))).toBe("new");
    expect(await a.hub.received(change("x", 1, "one"))).toBe("older");
    await vi.waitFor(() => expect(b.heard).toHaveLength(2), { timeout: 5_000 });
    await vi.waitFor(() => expect(a.heard).toHaveLength(2), { timeout: 5_000 });
    for (const r of [a, b]) expect(r.heard.map((e) => e.change.items[0]!.Value)).toEqual(["one", "two"]);
    expect(a.heard.map((e) => e.cursor)).toEqual(b.heard.map((e) => e.cursor));
  });

  it("a subscriber on replica B resumes from its cursor after missing changes made through replica A", async () => {
    const a = await replica();
    const b = await replica();
    const first = await b.hub.subscribe(new Set(["y"]));
    await a.hub.received(change("y", 1, "y1"));
    const { value: seen } = await first.next();
    first.end();
    await a.hub.received(change("y", 2, "y2"));
    await a.hub.received(change("y", 3, "y3"));
    const resumed = await b.hub.subscribe(new Set(["y"]), { after: seen!.cursor });
    const got = [(await resumed.next()).value!, (await resumed.next()).value!];
    expect(got.map((e) => e.change.items[0]!.Value)).toEqual(["y2", "y3"]);
    resumed.end();
  });

  it("a cursor the stream has trimmed away is refused as expired", async () => {
    const a = await replica({ window: 5 });
    const cursor = await a.stream.publish(change("z", 0, "z0"));
    // MAXLEN ~ trims in whole nodes: publish well past the window.
    for (let t = 1; t <= 300; t++) await a.stream.publish(change("z", t, `z${t}`));
    expect(await a.stream.since(cursor, 10)).toBeUndefined();
    await expect(a.hub.subscribe(new Set(["z"]), { after: cursor })).rejects.toMatchObject({
      reason: "cursor-expired",
    });
  });

  it("a reader that lost Redis picks up, once it is back, every change published meanwhile", async () => {
    const proxy = await startTcpProxy(fx.url);
    closing.push(() => proxy.close());
    const cut = await replica({ url: proxy.url });
    const writer = await replica();
    await writer.hub.received(change("w", 1, "before"));
    await vi.waitFor(() => expect(cut.heard).toHaveLength(1), { timeout: 5_000 });
    await proxy.cut();
    await writer.hub.received(change("w", 2, "during-1"));
    await writer.hub.received(change("w", 3, "during-2"));
    await proxy.restore();
    await vi.waitFor(() => expect(cut.heard).toHaveLength(3), { timeout: 10_000 });
    expect(cut.heard.map((e) => e.change.items[0]!.Value)).toEqual(["before", "during-1", "during-2"]);
  });
});
