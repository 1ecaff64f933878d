import "reflect-metadata";
import { describe, expect, it } from "vitest";
import type { ProfileChange } from "../../src/graphql/change.type.js";
import type { Context } from "../../src/graphql/context.js";
import { subscribe } from "../../src/graphql/profile.subscription.js";
import { MemoryProfileCache } from "../../src/profile/cache.memory.js";
import { ChangeHub } from "../../src/profile/changes/hub.js";
import { LocalChangeLedger } from "../../src/profile/changes/ledger.js";
import { LocalChangeStream } from "../../src/profile/changes/stream.js";
import type { ProfileService } from "../../src/profile/profile.service.js";
import { TagRegistry } from "../../src/profile/tags.js";

const NICK = "Tag_Profile_IM_Nick";
const take = async (iterator: AsyncIterator<ProfileChange>) => (await iterator.next()).value as ProfileChange;

/** A ProfileService stand-in: every renewal is a fresh memo that records the accounts it was asked for. */
interface Reads {
  loads: string[];
}
function profiles(all: Reads[]): ProfileService {
  const reads: Reads = { loads: [] };
  all.push(reads);
  return {
    registry: new TagRegistry(),
    renew: () => profiles(all),
    load: (account: string) => {
      reads.loads.push(account);
      return Promise.resolve({});
    },
    reads,
  } as unknown as ProfileService;
}

function setup(readsUserProfile: boolean) {
  const hub = new ChangeHub({
    ledger: new LocalChangeLedger(),
    stream: new LocalChangeStream({ window: 100 }),
    cache: new MemoryProfileCache({ ttlMs: 60_000, maxEntries: 100 }),
    maxQueued: 100,
  });
  const renewals: Reads[] = [];
  const ctx = {
    viewer: { account: "viewer", admin: false },
    profiles: profiles(renewals),
    plan: { tags: new Set([NICK]), custom: new Map(), readsUserProfile },
    maxUsers: 100,
    changes: hub,
    maxSubscriptionIds: 100,
  } as unknown as Context;
  const change = (account: string, eventTime: number) =>
    hub.received({ account, eventTime, items: [{ Tag: NICK, Value: `${account}-${eventTime}` }], source: "callback" });
  const loadsOf = (service: ProfileService) => (service as unknown as { reads: Reads }).reads.loads;
  return { ctx, change, renewals, loadsOf };
}

describe("profileChanged: the profile read of each change", () => {
  it("starts as the change reaches the subscription, one read per change, before the subscriber takes any (a burst is read at once, not one change after another)", async () => {
    const { ctx, change, renewals, loadsOf } = setup(true);
    const iterator = (await subscribe({ ids: ["a", "b", "c"] }, ctx))[Symbol.asyncIterator]();
    await change("a", 1);
    await change("b", 1);
    await change("c", 1);
    // Nothing was taken yet, and every change's read has been asked for.
    expect(renewals.slice(1).map((r) => r.loads)).toEqual([["a"], ["b"], ["c"]]);

    // Each change executes with the memo that holds its own read: the resolver's load joins it.
    for (const account of ["a", "b", "c"]) {
      expect((await take(iterator)).user.id).toBe(account);
      expect(loadsOf(ctx.profiles)).toEqual([account]);
    }
    expect(renewals.flatMap((r) => r.loads)).toEqual(["a", "b", "c"]);
    await iterator.return!();
  });

  it("starts no read for a subscription that selects only the changed values", async () => {
    const { ctx, change, renewals } = setup(false);
    const iterator = (await subscribe({ ids: ["a"] }, ctx))[Symbol.asyncIterator]();
    await change("a", 1);
    await change("a", 2);
    expect((await take(iterator)).changes).toMatchObject({ nick: "a-1" });
    expect((await take(iterator)).changes).toMatchObject({ nick: "a-2" });
    expect(renewals.flatMap((r) => r.loads)).toEqual([]);
    await iterator.return!();
  });
});
