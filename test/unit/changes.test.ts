import { describe, expect, it } from "vitest";
import { MemoryProfileCache } from "../../src/profile/cache.memory.js";
import type { ChangeEvent, ProfileChange } from "../../src/profile/changes/change.js";
import { ChangeHub } from "../../src/profile/changes/hub.js";
import { ECHO_WINDOW_MS, LocalChangeLedger } from "../../src/profile/changes/ledger.js";
import { LocalChangeStream } from "../../src/profile/changes/stream.js";
import { SubscriptionEndedError } from "../../src/profile/changes/subscription.js";

const NICK = "Tag_Profile_IM_Nick";
const change = (account: string, eventTime: number, nick: string, source: ProfileChange["source"] = "callback") => ({
  account,
  eventTime,
  items: [{ Tag: NICK, Value: nick }],
  source,
});

function hub(options: { window?: number; maxQueued?: number; now?: () => number } = {}) {
  const cache = new MemoryProfileCache({ ttlMs: 60_000, maxEntries: 100 });
  const stream = new LocalChangeStream({ window: options.window ?? 100 });
  const heard: string[] = [];
  const h = new ChangeHub({
    ledger: new LocalChangeLedger({ now: options.now }),
    stream,
    cache,
    maxQueued: options.maxQueued ?? 100,
    onChange: (c) => heard.push(`${c.account}:${String(c.items[0]?.Value)}`),
  });
  return { hub: h, cache, heard };
}

/** The next `n` events of a subscription. */
async function take(iterator: AsyncIterator<ChangeEvent, undefined>, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const { value } = await iterator.next();
    out.push(`${value!.change.account}:${String(value!.change.items[0]?.Value)}`);
  }
  return out;
}

describe("ChangeHub: each change once, in order", () => {
  it("applies a duplicate (same account, EventTime and body) once, and never an older EventTime over a newer", async () => {
    const { hub: h, heard } = hub();
    expect(await h.received(change("a", 100, "one"))).toBe("new");
    expect(await h.received(change("a", 100, "one"))).toBe("duplicate");
    expect(await h.received(change("a", 300, "three"))).toBe("new");
    expect(await h.received(change("a", 200, "two"))).toBe("older");
    // Another account has its own order.
    expect(await h.received(change("b", 50, "b"))).toBe("new");
    expect(heard).toEqual(["a:one", "a:three", "b:b"]);
  });

  it("invalidates the account in the cache for a new change only: a cached entry stops serving", async () => {
    const { hub: h, cache } = hub();
    const [miss] = await cache.get(["a"], NICK);
    await cache.set([{ account: "a", tagKey: NICK, version: (miss as { version: string }).version, items: [] }]);
    expect((await cache.get(["a"], NICK))[0]!.hit).toBe(true);
    await h.received(change("a", 1, "new"));
    expect((await cache.get(["a"], NICK))[0]!.hit).toBe(false);
  });

  it("a setProfile is published at once, and Tencent's callback echoing it is not published again", async () => {
    let now = 0;
    const { hub: h, heard } = hub({ now: () => now });
    expect(await h.wrote(change("a", 999_999, "mine", "setProfile"))).toBe("new");
    now += 1_000;
    expect(await h.received(change("a", 5, "mine"))).toBe("duplicate");
    // A later change by another writer with other content is new.
    expect(await h.received(change("a", 6, "theirs"))).toBe("new");
    // The echo window: a callback of the same body long after is a new change.
    expect(await h.wrote(change("a", 0, "again", "setProfile"))).toBe("new");
    now += ECHO_WINDOW_MS + 1;
    expect(await h.received(change("a", 7, "again"))).toBe("new");
    expect(heard).toEqual(["a:mine", "a:theirs", "a:again", "a:again"]);
  });

  it("a callback that beats the setProfile's own publication makes the setProfile the duplicate", async () => {
    const { hub: h, heard } = hub();
    expect(await h.received(change("a", 5, "mine"))).toBe("new");
    expect(await h.wrote(change("a", 0, "mine", "setProfile"))).toBe("duplicate");
    expect(heard).toEqual(["a:mine"]);
  });
});

describe("ChangeHub: subscriptions", () => {
  it("a subscriber hears the changes of its accounts only, with cursors it can resume from", async () => {
    const { hub: h } = hub();
    const sub = await h.subscribe(new Set(["a", "b"]));
    await h.received(change("a", 1, "a1"));
    await h.received(change("c", 1, "c1"));
    await h.received(change("b", 1, "b1"));
    expect(await take(sub, 2)).toEqual(["a:a1", "b:b1"]);
    sub.end();
    expect(h.subscriptions).toBe(0);
  });

  it("resuming from a cursor replays what was missed inside the window, then goes on live, without repeats", async () => {
    const { hub: h } = hub();
    const first = await h.subscribe(new Set(["a"]));
    await h.received(change("a", 1, "a1"));
    const { value: seen } = await first.next();
    first.end();
    await h.received(change("a", 2, "a2"));
    await h.received(change("b", 2, "b2"));
    await h.received(change("a", 3, "a3"));
    const resumed = await h.subscribe(new Set(["a"]), { after: seen!.cursor });
    await h.received(change("a", 4, "a4"));
    expect(await take(resumed, 3)).toEqual(["a:a2", "a:a3", "a:a4"]);
  });

  it("a cursor older than the window (or unknown) is refused, so the client re-reads instead of missing changes", async () => {
    const { hub: h } = hub({ window: 2 });
    const sub = await h.subscribe(new Set(["a"]));
    await h.received(change("a", 1, "a1"));
    const { value } = await sub.next();
    for (let t = 2; t <= 4; t++) await h.received(change("a", t, `a${t}`));
    await expect(h.subscribe(new Set(["a"]), { after: value!.cursor })).rejects.toMatchObject({
      reason: "cursor-expired",
    });
    await expect(h.subscribe(new Set(["a"]), { after: "not-a-cursor" })).rejects.toBeInstanceOf(SubscriptionEndedError);
    expect(h.subscriptions).toBe(1);
  });

  it("a subscriber that falls behind its bound is dropped, not buffered forever; the others go on", async () => {
    const { hub: h } = hub({ maxQueued: 3 });
    const slow = await h.subscribe(new Set(["a"]));
    const fast = await h.subscribe(new Set(["a"]));
    const got: string[] = [];
    const reading = (async () => {
      for await (const event of fast) {
        got.push(String(event.change.items[0]?.Value));
        if (got.length === 5) break;
      }
    })();
    for (let t = 1; t <= 5; t++) {
      await h.received(change("a", t, `a${t}`));
      await new Promise((r) => setImmediate(r));
    }
    await reading;
    expect(got).toEqual(["a1", "a2", "a3", "a4", "a5"]);
    await expect(take(slow, 4)).rejects.toMatchObject({ reason: "slow" });
    expect(h.subscriptions).toBe(0);
  });

  it("closing the hub (SIGTERM) ends every subscription cleanly and refuses new ones", async () => {
    const { hub: h } = hub();
    const sub = await h.subscribe(new Set(["a"]));
    await h.received(change("a", 1, "a1"));
    await h.close();
    expect(await take(sub, 1)).toEqual(["a:a1"]);
    expect(await sub.next()).toEqual({ value: undefined, done: true });
    await expect(h.subscribe(new Set(["a"]))).rejects.toMatchObject({ reason: "closed" });
  });
});
