import { LRUCache } from "lru-cache";
import { DEFAULTS } from "../../config/defaults.js";
import { LuaScript, type RedisLink } from "../../redis/link.js";

/** What the ledger says of a change: publish it, or not (a repeat, or older than one already seen). */
export type Verdict = "new" | "duplicate" | "older";

/**
 * Per account, the newest change seen, so that a change is published once and never out of
 * order. Tencent delivers callbacks at most once, possibly twice, possibly out of order:
 * - the same account, `EventTime` and body again → `duplicate`;
 * - an `EventTime` older than the newest one seen → `older` (it must not overwrite the newer);
 * - a callback echoing this service's own `setProfile` (same account and body, within
 *   `ECHO_WINDOW_MS`), or the other way round → `duplicate`: it was published already.
 * Only callbacks are ordered by `EventTime` (Tencent's clock); a setProfile is published at once and
 * kept apart from that order, since this process's clock is not Tencent's.
 */
export interface ChangeLedger {
  /** A callback's change. */
  admit(account: string, eventTime: number, digest: string): Promise<Verdict>;
  /** This service's own write, just accepted by Tencent: `new` unless its callback came first. */
  wrote(account: string, digest: string): Promise<Verdict>;
  close(): Promise<void>;
}

/** How long an own write and its callback recognise each other. */
export const ECHO_WINDOW_MS = 60_000;

interface AccountState {
  /** Newest callback: its EventTime, digest and when it arrived. */
  eventTime?: number;
  digest?: string;
  seenAt?: number;
  /** Newest own write: its digest and when. */
  wrote?: string;
  wroteAt?: number;
}

/** The ledger of one process (no REDIS_URL), bounded to the accounts changed most recently. */
export class LocalChangeLedger implements ChangeLedger {
  readonly #accounts: LRUCache<string, AccountState>;
  readonly #now: () => number;

  constructor(options: { maxAccounts?: number; now?: () => number } = {}) {
    this.#accounts = new LRUCache({ max: options.maxAccounts ?? 100_000 });
    this.#now = options.now ?? Date.now;
  }

  async admit(account: string, eventTime: number, digest: string): Promise<Verdict> {
    const now = this.#now();
    const state = this.#accounts.get(account) ?? {};
    this.#accounts.set(account, state);
    const echo = state.wrote === digest && now - (state.wroteAt ?? -Infinity) <= ECHO_WINDOW_MS;
    if (state.eventTime !== undefined) {
      if (eventTime < state.eventTime) return "older";
      if (eventTime === state.eventTime && digest === state.digest) return "duplicate";
    }
    Object.assign(state, { eventTime, digest, seenAt: now });
    if (echo) {
      state.wrote = undefined;
      return "duplicate";
    }
    return "new";
  }

  async wrote(account: string, digest: string): Promise<Verdict> {
    const now = this.#now();
    const state = this.#accounts.get(account) ?? {};
    this.#accounts.set(account, state);
    if (state.digest === digest && now - (state.seenAt ?? -Infinity) <= ECHO_WINDOW_MS) return "duplicate";
    Object.assign(state, { wrote: digest, wroteAt: now });
    return "new";
  }

  async close(): Promise<void> {}
}

/*
 * One hash per account: t (newest callback EventTime), d (its digest), s (when it arrived), w (own
 * write's digest), ws (when). Times of arrival are Redis's (TIME, ms), so replicas agree.
 * KEYS[1] the account's hash; ARGV: mode ("admit" | "wrote"), digest, EventTime, echo window (ms), TTL (s).
 */
const LEDGER = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mode, digest, window = ARGV[1], ARGV[2], tonumber(ARGV[4])
local s = redis.call('HMGET', KEYS[1], 't', 'd', 's', 'w', 'ws')
local verdict = 'new'
if mode == 'admit' then
  local eventTime = tonumber(ARGV[3])
  local last = tonumber(s[1])
  if last and eventTime < last then return 'older' end
  if last and eventTime == last and digest == s[2] then return 'duplicate' end
  redis.call('HSET', KEYS[1], 't', ARGV[3], 'd', digest, 's', now)
  if s[4] == digest and now - (tonumber(s[5]) or 0) <= window then
    redis.call('HDEL', KEYS[1], 'w', 'ws')
    verdict = 'duplicate'
  end
else
  if s[2] == digest and now - (tonumber(s[3]) or 0) <= window then
    verdict = 'duplicate'
  else
    redis.call('HSET', KEYS[1], 'w', digest, 'ws', now)
  end
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
return verdict
`);

/**
 * The ledger shared by every replica through Redis: one small hash per account changed, kept a day
 * after its last change (a change older than a day arriving now is far outside any redelivery).
 * One key per script, hash-tagged by account: on a Redis Cluster it runs on the account's master.
 */
export class RedisChangeLedger implements ChangeLedger {
  readonly #client: RedisLink;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(options: { client: RedisLink; keyPrefix?: string; commandTimeoutMs?: number }) {
    this.#client = options.client;
    this.#prefix = options.keyPrefix ?? DEFAULTS.redis.keyPrefix;
    this.#timeoutMs = options.commandTimeoutMs ?? DEFAULTS.redis.commandTimeoutMs;
  }

  admit(account: string, eventTime: number, digest: string): Promise<Verdict> {
    return this.#run(account, "admit", digest, eventTime);
  }

  wrote(account: string, digest: string): Promise<Verdict> {
    return this.#run(account, "wrote", digest, 0);
  }

  async close(): Promise<void> {}

  async #run(account: string, mode: string, digest: string, eventTime: number): Promise<Verdict> {
    const reply = await LEDGER.run(
      this.#client,
      [`${this.#prefix}change:{${account}}`],
      [mode, digest, String(eventTime), String(ECHO_WINDOW_MS), String(24 * 3600)],
      this.#timeoutMs,
    );
    return reply as Verdict;
  }
}
