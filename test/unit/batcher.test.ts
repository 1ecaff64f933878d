import { describe, expect, it } from "vitest";
import { ProfileBatcher, type PortraitReader } from "../../src/profile/batcher.js";
import type { PortraitResult } from "../../src/tencent/portrait.js";

/** A reader that records each call's accounts and tags, and fails the calls named in `failing`. */
function recordingReader(failing = new Set<number>()) {
  const calls: { accounts: string[]; tags: string[] }[] = [];
  const reader: PortraitReader = {
    async portraitGet(accounts, tags) {
      const index = calls.push({ accounts: [...accounts], tags: [...tags].sort() }) - 1;
      if (failing.has(index)) throw new Error(`call ${index} failed`);
      return accounts.map((account): PortraitResult => ({ account, ok: true, items: [{ Tag: "Tag_Profile_IM_Nick", Value: account }] }));
    },
  };
  return { reader, calls };
}

const ids = (n: number, prefix = "u") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe("ProfileBatcher", () => {
  it("gathers one turn's loads from several callers into chunks of at most 100 distinct accounts", async () => {
    const { reader, calls } = recordingReader();
    const batcher = new ProfileBatcher(reader);
    const a = batcher.load(ids(150), new Set(["Tag_Profile_IM_Nick"]));
    const b = batcher.load([...ids(100, "u"), ...ids(100, "v")], new Set(["Tag_Profile_IM_Level"]));
    await Promise.all([a, b]);
    expect(calls.map((c) => c.accounts.length)).toEqual([100, 100, 50]);
    expect(new Set(calls.flatMap((c) => c.accounts)).size).toBe(250);
    expect(calls[0]!.tags).toEqual(["Tag_Profile_IM_Level", "Tag_Profile_IM_Nick"]);
  });

  it("answers each caller in its own order, duplicates included", async () => {
    const { reader } = recordingReader();
    const out = await new ProfileBatcher(reader).load(["b", "a", "b"], new Set(["t"]));
    expect(out.map((o) => (o instanceof Error ? o : o.account))).toEqual(["b", "a", "b"]);
  });

  it("a failed call fails only the accounts it carried", async () => {
    const { reader, calls } = recordingReader(new Set([1]));
    const out = await new ProfileBatcher(reader).load(ids(250), new Set(["t"]));
    const failed = new Set(calls[1]!.accounts);
    expect(out.filter((o) => o instanceof Error)).toHaveLength(100);
    out.forEach((o, i) => expect(o instanceof Error).toBe(failed.has(`u${i}`)));
  });

  it("loads in later turns make later calls: nothing is cached between turns", async () => {
    const { reader, calls } = recordingReader();
    const batcher = new ProfileBatcher(reader);
    await batcher.load(["a"], new Set(["t"]));
    await batcher.load(["a"], new Set(["t"]));
    expect(calls).toHaveLength(2);
  });

  it("with a window, gathers loads across turns, and sends a full chunk at once", async () => {
    const { reader, calls } = recordingReader();
    const batcher = new ProfileBatcher(reader, 100, 30);
    const first = batcher.load(["a"], new Set(["t"]));
    await new Promise((r) => setImmediate(r));
    const second = batcher.load(["b"], new Set(["t"]));
    await Promise.all([first, second]);
    expect(calls.map((c) => c.accounts)).toEqual([["a", "b"]]);
    calls.length = 0;
    const full = batcher.load(ids(100), new Set(["t"]));
    expect(calls).toHaveLength(1); // dispatched synchronously on the 100th account
    await full;
  });
});
