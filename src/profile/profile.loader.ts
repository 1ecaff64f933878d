import DataLoader from "dataloader";
import type { PortraitResult } from "../tencent/portrait.js";
import type { ProfileBatcher } from "./batcher.js";
import { decodeProfile, type ProfileData } from "./codec.js";
import type { TagRegistry } from "./tags.js";

/** One account's own failure in portrait_get (not found, invalid, no permission…). */
export class AccountError extends Error {
  constructor(readonly result: Extract<PortraitResult, { ok: false }>) {
    super(`portrait_get failed for account ${JSON.stringify(result.account)}: ${result.code} ${result.info}`);
    this.name = "AccountError";
  }
}

/**
 * Profiles for one GraphQL request. Resolvers call `load(id)`; the DataLoader (max 100 keys per
 * batch, deduplicating) is a private detail, and so is the shared batcher beneath it.
 *
 * The tags to fetch are set once per request (`want`), from everything the operation selects,
 * so every load of the request asks for the same tags and its cache never hides a missing one.
 */
export class ProfileLoader {
  readonly #loader: DataLoader<string, ProfileData>;
  #tags = new Set<string>();

  constructor(
    private readonly batcher: ProfileBatcher,
    private readonly registry: TagRegistry,
  ) {
    this.#loader = new DataLoader((accounts) => this.#batch(accounts), { maxBatchSize: batcher.maxBatchSize });
  }

  /** Add tags to fetch; loads already under way keep the tags they started with. */
  want(tags: Iterable<string>): void {
    for (const tag of tags) this.#tags.add(tag);
  }

  get wanted(): ReadonlySet<string> {
    return this.#tags;
  }

  load(account: string): Promise<ProfileData> {
    return this.#loader.load(account);
  }

  /** Forget an account, e.g. after writing it, so the next load reads it again. */
  clear(account: string): void {
    this.#loader.clear(account);
  }

  async #batch(accounts: readonly string[]): Promise<(ProfileData | Error)[]> {
    const outcomes = await this.batcher.load(accounts, this.#tags);
    return outcomes.map((outcome, i) => {
      if (outcome instanceof Error) return outcome;
      if (!outcome.ok) return new AccountError(outcome);
      return decodeProfile(accounts[i]!, outcome.items, this.registry);
    });
  }
}
