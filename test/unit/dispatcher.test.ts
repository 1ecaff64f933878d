import { describe, expect, it, vi } from "vitest";
import { MemoryProfileCache } from "../../src/profile/cache.memory.js";
import { ProfileDispatcher, type PortraitReader, type ReadOutcome } from "../../src/profile/dispatcher.js";
import { ProfileError } from "../../src/profile/errors.js";
import type { PortraitResult } from "../../src/tencent/portrait.js";
import type { CircuitState } from "../../src/upstream/breaker.js";
import { retryAccount } from "../../src/upstream/retry.js";
import { Slot } from "../../src/upstream/slot.js";

const NICK = new Set(["Tag_Profile_IM_Nick"]);
const LEVEL = new Set(["Tag_Profile_IM_Level"]);
const ids = (n: number, prefix = "u") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const tick = () => new Promise((r) => setImmediate(r));

/**
 * A reader whose rate slots are handed out by the test (`grant`), that records every call, and
 * whose answers the test can script per call.
 */
function scriptedReader(accountRetries = 2) {
  const calls: { accounts: string[]; tags: string[] }[] = [];
  const slots: (() => void)[] = [];
  let slotsDrawn = 0;
  let circuit: CircuitState = "closed";
  let answer: (accounts: readonly string[], call: number) => Promise<PortraitResult[]> | PortraitResult[] = (
    accounts,
  ) =>
    accounts.map((account) => ({
      account,
      ok: true,
      items: [{ Tag: "Tag_Profile_IM_Nick", Value: `nick-${account}` }],
    }));
  const reader: PortraitReader = {
    acquire: (api) => {
      slotsDrawn++;
      return new Promise<Slot>((resolve) => slots.push(() => resolve(new Slot(api, performance.now()))));
    },
    async portraitGet(accounts, tags, options) {
      options?.slot?.spend("profile/portrait_get");
      const n = calls.push({ accounts: [...accounts], tags: [...tags].sort() }) - 1;
      return answer(accounts, n);
    },
    circuit: () => circuit,
    retryAccount: (result, tries) => retryAccount(result, tries, accountRetries),
  };
  return {
    reader,
    calls,
    get slotsDrawn() {
      return slotsDrawn;
    },
    /** Hand out the next slot and let the call it carries be formed. */
    async grant() {
      while (slots.length === 0) await tick();
      slots.shift()!();
      await tick();
    },
    /** Grant slots until `pending` settles. */
    async grantUntil(pending: Promise<unknown>) {
      let done = false;
      void pending.then(() => (done = true));
      while (!done) {
        if (slots.length > 0) slots.shift()!();
        await tick();
      }
    },
    answerWith(fn: typeof answer) {
      answer = fn;
    },
    setCircuit(state: CircuitState) {
      circuit = state;
    },
  };
}

const nickOf = (o: ReadOutcome) => (o instanceof Error ? o : o.items[0]?.Value);

describe("ProfileDispatcher: gather while waiting for a rate slot", () => {
  it("a call takes every account that arrived while it waited for its slot", async () => {
    const r = scriptedReader();
    const d = new ProfileDispatcher({ reader: r.reader });
    const first = d.load(["a"], NICK);
    await tick();
    const second = d.load(["b", "c"], LEVEL);
    const third = d.load(["d"], NICK);
    await r.grant();
    const outcomes = await Promise.all([first, second, third]);
    expect(r.calls).toEqual([
      { accounts: ["a", "b", "c", "d"], tags: ["Tag_Profile_IM_Level", "Tag_Profile_IM_Nick"] },
    ]);
    expect(outcomes.flat().map(nickOf)).toEqual(["nick-a", "nick-b", "nick-c", "nick-d"]);
    expect(r.slotsDrawn).toBe(1);
  });

  it("takes at most 100 accounts per call, oldest first; the rest wait for the next slot", async () => {
    const r = scriptedReader();
    const d = new ProfileDispatcher({ reader: r.reader });
    const loads = [d.load(ids(150, "a"), NICK), d.load(ids(100, "b"), NICK)];
    await r.grant();
    await r.grant();
    await r.grant();
    await Promise.all(loads);
    expect(r.calls.map((c) => c.accounts.length)).toEqual([100, 100, 50]);
    expect(r.calls.flatMap((c) => c.accounts)).toEqual([...ids(150, "a"), ...ids(100, "b")]);
  });

  it("under overload no request waits behind ones that arrived later", async () => {
    const r = scriptedReader();
    const d = new ProfileDispatcher({ reader: r.reader, maxAccountsPerCall: 10 });
    const loads = Array.from({ length: 5 }, (_, i) => d.load(ids(7, `r${i}-`), NICK));
    for (let i = 0; i < 4; i++) await r.grant();
    await Promise.all(loads);
    const order = r.calls.flatMap((c) => c.accounts);
    expect(order).toEqual(Array.from({ length: 5 }, (_, i) => ids(7, `r${i}-`)).flat());
  });

  it("when idle, a read goes out on the first slot: one call, no gathering delay", async () => {
    const reader: PortraitReader = { ...scriptedReader().reader, acquire: async (api) => new Slot(api, 0) };
    const seen: string[][] = [];
    const d = new ProfileDispatcher({
      reader: {
        ...reader,
        portraitGet: async (accounts) => (
          seen.push([...accounts]),
          accounts.map((account) => ({ account, ok: true, items: [] }))
        ),
      },
    });
    await d.load(["solo"], NICK);
    expect(seen).toEqual([["solo"]]);
  });
});

describe("ProfileDispatcher: deduplication", () => {
  it("an account asked for twice while waiting goes out once, with both callers' tags", async () => {
    const r = scriptedReader();
    const d = new ProfileDispatcher({ reader: r.reader });
    const a = d.load(["x"], NICK);
    const b = d.load(["x"], LEVEL);
    await r.grant();
    await Promise.all([a, b]);
    expect(r.calls).toEqual([{ accounts: ["x"], tags: ["Tag_Profile_IM_Level", "Tag_Profile_IM_Nick"] }]);
  });

  it("joins an account in flight when it carries the tags needed; asks again when it does not", async () => {
    const r = scriptedReader();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    r.answerWith(async (accounts, call) => {
      if (call === 0) await gate;
      return accounts.map((account) => ({ account, ok: true, items: [] }));
    });
    const d = new ProfileDispatcher({ reader: r.reader });
    const first = d.load(["x"], NICK);
    await r.grant(); // call 0 is in flight, held by the gate
    const joined = d.load(["x"], NICK);
    const other = d.load(["x"], LEVEL);
    release();
    await first;
    await joined;
    await r.grant();
    await other;
    expect(r.calls.map((c) => c.tags)).toEqual([["Tag_Profile_IM_Nick"], ["Tag_Profile_IM_Level"]]);
  });

  it("after invalidate, a new read does not join a call that began before", async () => {
    const r = scriptedReader();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    r.answerWith(async (accounts, call) => {
      if (call === 0) await gate;
      return accounts.map((account) => ({
        account,
        ok: true,
        items: [{ Tag: "Tag_Profile_IM_Nick", Value: `v${call}` }],
      }));
    });
    const d = new ProfileDispatcher({ reader: r.reader });
    const before = d.load(["x"], NICK);
    await r.grant();
    await d.invalidate("x");
    const after = d.load(["x"], NICK);
    release();
    await r.grant();
    expect((await before).map(nickOf)).toEqual(["v0"]);
    expect((await after).map(nickOf)).toEqual(["v1"]);
  });
});

describe("ProfileDispatcher: bounds", () => {
  it("past maxQueuedAccounts a read fails fast with UPSTREAM_THROTTLED", async () => {
    const r = scriptedReader();
    const d = new ProfileDispatcher({ reader: r.reader, maxQueuedAccounts: 3 });
    const queued = d.load(ids(3), NICK);
    const [overflow] = await d.load(["late"], NICK);
    expect(overflow).toBeInstanceOf(ProfileError);
    expect((overflow as ProfileError).extensions.code).toBe("UPSTREAM_THROTTLED");
    expect((overflow as ProfileError).message).toMatch(/3 accounts/);
    await r.grant();
    expect((await queued).map(nickOf)).toEqual(ids(3).map((id) => `nick-${id}`));
  });

  it("an account that waited past maxWaitMs fails with UPSTREAM_THROTTLED, even if no slot ever comes", async () => {
    const r = scriptedReader();
    const d = new ProfileDispatcher({ reader: r.reader, maxWaitMs: 20 });
    const [outcome] = await d.load(["stuck"], NICK);
    expect((outcome as ProfileError).extensions.code).toBe("UPSTREAM_THROTTLED");
    expect(r.calls).toEqual([]);
    d.close();
  });

  it("the accounts of one read pass the wait bound together: never half a read, the rest left for a smaller call", async () => {
    const r = scriptedReader();
    // A clock that moves on every reading: the accounts of one read are queued at different
    // readings, and the bound (now - 50) falls in the middle of them.
    let clock = 0;
    const now = vi.spyOn(performance, "now").mockImplementation(() => clock++);
    try {
      const d = new ProfileDispatcher({ reader: r.reader, maxWaitMs: 50 });
      const read = d.load(ids(100), NICK);
      clock = 50 + 50; // half the accounts' readings lie before now - maxWaitMs
      await vi.waitFor(() => expect(d.queuedAccounts).not.toBe(100), { timeout: 2_000, interval: 5 });
      expect(d.queuedAccounts).toBe(0);
      const outcomes = await read;
      expect(outcomes.every((o) => o instanceof ProfileError && o.extensions.code === "UPSTREAM_THROTTLED")).toBe(true);
      d.close();
    } finally {
      now.mockRestore();
    }
  });

  it("a caller whose signal aborts gets its reason; another caller of the same account still gets it", async () => {
    const r = scriptedReader();
    const d = new ProfileDispatcher({ reader: r.reader });
    const controller = new AbortController();
    const leaving = d.load(["x"], NICK, controller.signal);
    const staying = d.load(["x"], NICK);
    const reason = new ProfileError("deadline", { code: "UPSTREAM_UNAVAILABLE" });
    controller.abort(reason);
    expect(await leaving).toEqual([reason]);
    await r.grant();
    expect((await staying).map(nickOf)).toEqual(["nick-x"]);
  });

  it("a signal given as a function is asked for only when an account misses the cache; one already over starts no wait and draws no slot", async () => {
    const cache = new MemoryProfileCache({ ttlMs: 60_000, maxEntries: 100 });
    const r = scriptedReader();
    const d = new ProfileDispatcher({ reader: r.reader, cache });
    let asked = 0;
    const controller = new AbortController();
    const signal = () => (asked++, controller.signal);
    const first = d.load(["x"], NICK, signal);
    await r.grant();
    expect((await first).map(nickOf)).toEqual(["nick-x"]);
    expect(asked).toBe(1);
    // All hits: the signal is never asked for.
    expect((await d.load(["x"], NICK, signal)).map(nickOf)).toEqual(["nick-x"]);
    expect(asked).toBe(1);
    // Over before the read began: its reason is the outcome, y is never queued, no slot is drawn.
    const reason = new ProfileError("gone", { code: "CLIENT_CLOSED_REQUEST" });
    controller.abort(reason);
    expect(await d.load(["y"], NICK, signal)).toEqual([reason]);
    expect(asked).toBe(2);
    await tick();
    expect(r.slotsDrawn).toBe(1);
    expect(r.calls).toHaveLength(1);
    d.close();
  });

  it("while the breaker is open, waiting reads fail at once and no slot is drawn", async () => {
    const r = scriptedReader();
    r.setCircuit("open");
    const d = new ProfileDispatcher({ reader: r.reader });
    const [outcome] = await d.load(["x"], NICK);
    expect((outcome as ProfileError).extensions.code).toBe("UPSTREAM_UNAVAILABLE");
    expect(r.slotsDrawn).toBe(0);
  });

  it("while the circuit is half-open, one call (the trial) goes; the others wait for it, then go", async () => {
    const r = scriptedReader();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    r.answerWith(async (accounts, call) => {
      if (call === 0) await gate;
      return accounts.map((account) => ({ account, ok: true, items: [] }));
    });
    r.setCircuit("half-open");
    const d = new ProfileDispatcher({ reader: r.reader, maxAccountsPerCall: 2 });
    const pending = d.load(ids(6), NICK);
    await r.grant();
    for (let i = 0; i < 5; i++) await tick();
    // The trial is in flight: no second slot is drawn and no second call leaves.
    expect(r.slotsDrawn).toBe(1);
    expect(r.calls).toHaveLength(1);
    r.setCircuit("closed");
    release();
    await r.grantUntil(pending);
    expect(r.calls.map((c) => c.accounts)).toEqual([ids(2), ids(4).slice(2), ids(6).slice(4)]);
  });

  it("refuses options it cannot honour, naming them (0 accounts per call would never finish a read)", () => {
    const reader = scriptedReader().reader;
    expect(() => new ProfileDispatcher({ reader, maxAccountsPerCall: 0 })).toThrow(/maxAccountsPerCall/);
    expect(() => new ProfileDispatcher({ reader, maxAccountsPerCall: 101 })).toThrow(/1 to 100/);
    expect(() => new ProfileDispatcher({ reader, maxCallsInFlight: 0 })).toThrow(/maxCallsInFlight/);
    expect(() => new ProfileDispatcher({ reader, maxWaitMs: 0 })).toThrow(/maxWaitMs/);
    expect(() => new ProfileDispatcher({ reader, gatherMs: -1 })).toThrow(/gatherMs/);
  });
});

describe("ProfileDispatcher: accounts' own answers", () => {
  it("per-account transient codes are retried for those accounts only", async () => {
    const r = scriptedReader();
    let failures = 2;
    r.answerWith((accounts) =>
      accounts.map((account) =>
        account === "flaky" && failures-- > 0
          ? { account, ok: false, code: 40006, info: "try again later", kind: "transient", invalid: false }
          : { account, ok: true, items: [{ Tag: "Tag_Profile_IM_Nick", Value: account }] },
      ),
    );
    const d = new ProfileDispatcher({ reader: r.reader });
    const pending = d.load(["a", "flaky", "b"], NICK);
    for (let i = 0; i < 3; i++) await r.grant();
    expect((await pending).map(nickOf)).toEqual(["a", "flaky", "b"]);
    expect(r.calls.map((c) => c.accounts)).toEqual([["a", "flaky", "b"], ["flaky"], ["flaky"]]);
  });

  it("gives up on a transient account after its retries, with UPSTREAM_UNAVAILABLE and Tencent's code", async () => {
    const r = scriptedReader(1);
    r.answerWith((accounts) =>
      accounts.map((account) => ({
        account,
        ok: false,
        code: 40006,
        info: "try again later",
        kind: "transient",
        invalid: false,
      })),
    );
    const d = new ProfileDispatcher({ reader: r.reader });
    const pending = d.load(["x"], NICK);
    await r.grant();
    await r.grant();
    const [outcome] = await pending;
    expect((outcome as ProfileError).extensions).toEqual({
      code: "UPSTREAM_UNAVAILABLE",
      tencent: { errorCode: 40006, errorInfo: "try again later" },
    });
    expect(r.calls).toHaveLength(2);
  });
});

describe("ProfileDispatcher: the shared cache", () => {
  it("serves hits without a call and stores misses under the version their lookup saw", async () => {
    const cache = new MemoryProfileCache({ ttlMs: 60_000, maxEntries: 100 });
    const r = scriptedReader();
    const d = new ProfileDispatcher({ reader: r.reader, cache });
    const first = d.load(["x"], NICK);
    await r.grant();
    await first;
    expect((await d.load(["x"], NICK)).map(nickOf)).toEqual(["nick-x"]);
    expect(r.calls).toHaveLength(1);
    await d.invalidate("x");
    const again = d.load(["x"], NICK);
    await r.grant();
    await again;
    expect(r.calls).toHaveLength(2);
  });
});

describe("ProfileDispatcher: serve stale on upstream failure", () => {
  /** A cache whose entry for `x` is past its TTL (5 s) but within STALE_IF_ERROR_MS (60 s). */
  async function staleCache() {
    let now = 0;
    const cache = new MemoryProfileCache({ ttlMs: 5_000, staleMs: 60_000, maxEntries: 10, clock: { now: () => now } });
    const [lookup] = await cache.get(["x"], "Tag_Profile_IM_Nick");
    await cache.set([
      {
        account: "x",
        tagKey: "Tag_Profile_IM_Nick",
        version: (lookup as { version: string }).version,
        items: [{ Tag: "Tag_Profile_IM_Nick", Value: "cached" }],
      },
    ]);
    now += 7_000;
    return cache;
  }

  it("while the circuit is open, a cached profile within STALE_IF_ERROR_MS is served, marked stale", async () => {
    const r = scriptedReader();
    r.setCircuit("open");
    const events: string[] = [];
    const d = new ProfileDispatcher({ reader: r.reader, cache: await staleCache() });
    d.observe((e) => e.type === "stale" && events.push(e.reason));
    const [outcome] = await d.load(["x"], NICK);
    expect(outcome).toEqual({
      ok: true,
      account: "x",
      items: [{ Tag: "Tag_Profile_IM_Nick", Value: "cached" }],
      stale: { ageMs: 7_000, reason: "UPSTREAM_UNAVAILABLE" },
    });
    expect(events).toEqual(["UPSTREAM_UNAVAILABLE"]);
    expect(r.slotsDrawn).toBe(0);
  });

  it("when Tencent answers, the fresh value is served, not the stale one; an account's own error is never hidden", async () => {
    const r = scriptedReader();
    const d = new ProfileDispatcher({ reader: r.reader, cache: await staleCache() });
    const fresh = d.load(["x"], NICK);
    await r.grant();
    expect((await fresh).map(nickOf)).toEqual(["nick-x"]);

    const r2 = scriptedReader();
    r2.answerWith((accounts) =>
      accounts.map((account) => ({ account, ok: false, code: 40003, info: "gone", kind: "caller", invalid: false })),
    );
    const d2 = new ProfileDispatcher({ reader: r2.reader, cache: await staleCache() });
    const gone = d2.load(["x"], NICK);
    await r2.grant();
    expect(((await gone)[0] as ProfileError).extensions.code).toBe("ACCOUNT_NOT_FOUND");
  });
});

describe("ProfileDispatcher: reads of one event-loop turn share a call", () => {
  /** Slots always free (throttle off, or budget not binding): a call's slot is granted at once. */
  function freeSlots() {
    const calls: string[][] = [];
    let drawn = 0;
    const reader: PortraitReader = {
      acquire: async (api) => (drawn++, new Slot(api, 0)),
      circuit: () => "closed",
      retryAccount: () => false,
      portraitGet: async (accounts) => (
        calls.push([...accounts]),
        accounts.map((account) => ({ account, ok: true as const, items: [] }))
      ),
    };
    return {
      reader,
      calls,
      get drawn() {
        return drawn;
      },
    };
  }

  it("with slots free, reads arriving in one turn (one per request) go out as one call", async () => {
    const r = freeSlots();
    const d = new ProfileDispatcher({ reader: r.reader });
    // Ten requests answered in one poll of the sockets: each loads its own account, a microtask apart.
    const loads: Promise<ReadOutcome[]>[] = [];
    for (let i = 0; i < 10; i++) {
      loads.push(d.load([`r${i}`], NICK));
      await Promise.resolve();
    }
    await Promise.all(loads);
    expect(r.calls).toEqual([ids(10, "r")]);
    expect(r.drawn).toBe(1);
  });

  it("reads of separate turns each get a call: the slot waits for the end of a turn, not longer", async () => {
    const r = freeSlots();
    const d = new ProfileDispatcher({ reader: r.reader });
    const first = d.load(["a"], NICK);
    await tick();
    await tick();
    const second = d.load(["b"], NICK);
    await Promise.all([first, second]);
    expect(r.calls).toEqual([["a"], ["b"]]);
  });

  it("a full call's worth of accounts draws its slot at once; fewer wait for the end of the turn", () => {
    const full = freeSlots();
    void new ProfileDispatcher({ reader: full.reader }).load(ids(100), NICK);
    expect(full.drawn).toBe(1);
    const partial = freeSlots();
    void new ProfileDispatcher({ reader: partial.reader }).load(ids(99), NICK);
    expect(partial.drawn).toBe(0);
  });

  it("150 accounts of one turn: a call of 100 and one of 50, each account once", async () => {
    const r = freeSlots();
    const d = new ProfileDispatcher({ reader: r.reader });
    await Promise.all([d.load(ids(60, "a"), NICK), d.load(ids(90, "b"), NICK)]);
    expect(r.calls.map((c) => c.length)).toEqual([100, 50]);
    expect(r.calls.flat()).toEqual([...ids(60, "a"), ...ids(90, "b")]);
  });
});

describe("ProfileDispatcher: BATCH_WINDOW_MS", () => {
  it("with a gathering delay, reads of separate turns share a call even when slots are free", async () => {
    const calls: string[][] = [];
    const reader: PortraitReader = {
      acquire: async (api) => new Slot(api, 0),
      circuit: () => "closed",
      retryAccount: () => false,
      portraitGet: async (accounts) => (
        calls.push([...accounts]),
        accounts.map((account) => ({ account, ok: true as const, items: [] }))
      ),
    };
    const d = new ProfileDispatcher({ reader, gatherMs: 30 });
    const first = d.load(["a"], NICK);
    await tick();
    const second = d.load(["b"], NICK);
    await Promise.all([first, second]);
    expect(calls).toEqual([["a", "b"]]);
  });
});
