import DataLoader from "dataloader";
import { TencentError, TencentTransportError } from "../tencent/errors.js";
import type { PortraitResult, ProfileItem } from "../tencent/portrait.js";
import type { CallOptions } from "../upstream/upstream.js";
import type { ProfileChange } from "./changes/change.js";
import { decodeProfile, type AnomalyReporter, type ProfileData } from "./codec.js";
import type { ProfileDispatcher } from "./dispatcher.js";
import { badInput, forbidden, ProfileError, upstreamError } from "./errors.js";
import { encodeProfileChanges, type ProfileChanges } from "./input.js";
import { STANDARD_TAGS, type TagRegistry } from "./tags.js";
import type { Viewer } from "./viewer.js";

/** What the service needs of the Tencent client for writes. */
export interface ProfileWriter {
  portraitSet(account: string, items: readonly ProfileItem[], options?: CallOptions): Promise<void>;
  portraitGet(accounts: readonly string[], tags: readonly string[], options?: CallOptions): Promise<PortraitResult[]>;
}

export interface ProfileServiceOptions {
  dispatcher: ProfileDispatcher;
  writer: ProfileWriter;
  registry: TagRegistry;
  viewer: Viewer | undefined;
  /**
   * Ends when the request's deadline passes: waits for Tencent stop there. Read only when a read
   * must wait for Tencent or a write goes out, so it may be a getter that arms it then.
   */
  signal: AbortSignal;
  /** The request's deadline on the `performance.now()` clock. */
  deadline: number;
  /** Where this service's own writes are published (profileChanged subscribers, other replicas). */
  changes?: { wrote(change: ProfileChange): Promise<unknown> } | undefined;
  report?: AnomalyReporter;
}

/**
 * Profiles for one GraphQL request: reads, writes, input rules, cache invalidation and the mapping
 * of Tencent's failures to this service's errors. Resolvers call `load(id)` and `set(…)`; the
 * request's DataLoader (memoizing each account once per request) and the process-wide dispatcher
 * beneath it are private details.
 *
 * The tags to read are chosen once per operation (`select`), from everything it selects, so every
 * read of the request asks for the same set and the memo never hides a missing tag.
 *
 *   const profiles = new ProfileService({ dispatcher, writer: client, registry, viewer, signal, deadline });
 *   profiles.select(["Tag_Profile_IM_Nick"]);
 *   const { nick } = await profiles.load("alice");
 */
export class ProfileService {
  readonly #options: ProfileServiceOptions;
  /**
   * Accounts this operation served stale from the cache, because Tencent could not answer: how old
   * the value is and the error it stood in for. The response tells the client (see stale.plugin.ts).
   */
  readonly stale = new Map<string, { ageMs: number; reason: string }>();
  /** Accounts whose profiles this operation read (a router's cache tags them, see cache-tags.plugin.ts). */
  readonly read = new Set<string>();
  readonly #loader: DataLoader<string, ProfileData>;
  #tags: ReadonlySet<string>;

  constructor(options: ProfileServiceOptions) {
    this.#options = options;
    // Until an operation selects, a read asks for every readable tag: never fewer than a caller needs.
    this.#tags = options.registry.readableTags;
    this.#loader = new DataLoader((accounts) => this.#batch(accounts));
  }

  /** A service for another operation of the same HTTP request (its own memo and tag set). */
  fork(): ProfileService {
    return new ProfileService(this.#options);
  }

  /**
   * The same operation again (another event of a subscription): a fresh memo, the same tags and,
   * given `window`, a deadline and signal of its own (a subscription lives longer than any one
   * deadline; each change's reads get REQUEST_DEADLINE_MS from when the change arrived).
   */
  renew(window?: Pick<ProfileServiceOptions, "signal" | "deadline">): ProfileService {
    const next = new ProfileService(window ? { ...this.#options, ...window } : this.#options);
    next.#tags = this.#tags;
    return next;
  }

  get registry(): TagRegistry {
    return this.#options.registry;
  }

  /** The tags this operation reads (at least one: a read also tells whether the account exists). */
  select(tags: Iterable<string>): void {
    const set = new Set(tags);
    this.#tags = set.size > 0 ? set : new Set([STANDARD_TAGS[0]!.tag]);
  }

  load(account: string): Promise<ProfileData> {
    return this.#loader.load(account);
  }

  /**
   * Write `changes` to `target` (the caller's own account unless an admin names another), all or
   * nothing, after checking every rule. When Tencent's answer is lost after the request left, the
   * written tags are read back: equal → success, otherwise UPSTREAM_UNAVAILABLE with
   * `extensions.outcome: "unknown"`. Resolves once no later read, here or on another replica, can
   * see the value from before.
   */
  async set(target: string, changes: ProfileChanges): Promise<void> {
    const viewer = this.#options.viewer;
    if (!viewer) throw forbidden("A bearer token is required to write a profile");
    if (target !== viewer.account && !viewer.admin) {
      throw forbidden(
        `Only an admin (scope profile:admin) may set another user's profile; the token is for this account only`,
      );
    }
    for (const spec of STANDARD_TAGS) {
      if (spec.adminOnly && changes[spec.field] !== undefined && !viewer.admin) {
        throw forbidden(`input.${spec.field} may only be set by an admin (scope profile:admin)`);
      }
    }
    const { items, violations } = encodeProfileChanges(changes, this.registry);
    if (violations.length > 0) throw badInput(violations);

    const { dispatcher, writer, signal, deadline } = this.#options;
    let lost: TencentTransportError | undefined;
    try {
      await writer.portraitSet(target, items, { signal, deadline });
    } catch (error) {
      if (!(error instanceof TencentError)) throw error;
      if (!(error instanceof TencentTransportError && error.sent)) throw upstreamError(error);
      lost = error;
    }
    // Applied, or perhaps applied: either way, no later read may see the value from before.
    await dispatcher.invalidate(target);
    this.#loader.clear(target);
    if (lost) await this.#confirmWrite(target, items, lost);
    // Subscribers hear of it now; Tencent's callback echoing it later is recognised and not published again.
    await this.#options.changes?.wrote({
      account: target,
      eventTime: Date.now(),
      items: [...items],
      source: "setProfile",
      operator: viewer.account,
      platform: "RESTAPI",
    });
  }

  // The write's answer was lost: it may or may not have been applied. Look, within the deadline.
  async #confirmWrite(target: string, items: readonly ProfileItem[], lost: TencentTransportError): Promise<void> {
    const { writer, signal, deadline } = this.#options;
    let applied = false;
    try {
      const [result] = await writer.portraitGet(
        [target],
        items.map((i) => i.Tag),
        { signal, deadline },
      );
      if (result?.ok) {
        const now = new Map(result.items.map((i) => [i.Tag, String(i.Value as string)]));
        applied = items.every((i) => now.get(i.Tag) === String(i.Value));
      }
    } catch {
      applied = false;
    }
    if (!applied) {
      throw new ProfileError(
        "The write may or may not have been applied: Tencent's answer was lost and reading the profile back did not confirm it. Read the profile before trying again.",
        { code: "UPSTREAM_UNAVAILABLE", outcome: "unknown" },
        { cause: lost },
      );
    }
  }

  async #batch(accounts: readonly string[]): Promise<(ProfileData | Error)[]> {
    const { dispatcher, registry, report } = this.#options;
    for (const account of accounts) this.read.add(account);
    // Asked for only if an account must wait for Tencent (the request's signal may be lazy).
    const outcomes = await dispatcher.load(accounts, this.#tags, () => this.#options.signal);
    return outcomes.map((outcome) => {
      if (outcome instanceof Error) return outcome;
      if (outcome.stale) this.stale.set(outcome.account, outcome.stale);
      return decodeProfile(outcome.account, outcome.items, registry, report);
    });
  }
}
