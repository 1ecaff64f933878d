import { Arg, ID, Resolver, Root, Subscription as SubscriptionField, type SubscribeResolverData } from "type-graphql";
import { decodeProfile } from "../profile/codec.js";
import type { ChangeEvent } from "../profile/changes/change.js";
import type { ChangeHub } from "../profile/changes/hub.js";
import type { ProfileService } from "../profile/profile.service.js";
import { SubscriptionEndedError, type Subscription } from "../profile/changes/subscription.js";
import { ErrorCode } from "../profile/error-codes.js";
import { ProfileError } from "../profile/errors.js";
import type { TagRegistry } from "../profile/tags.js";
import { ChangeSource, ProfileChange } from "./change.type.js";
import type { Context } from "./context.js";
import { badInput } from "./errors.js";
import { assertAuthenticated, userIdError } from "./viewer.js";

interface Args {
  ids: string[];
  after?: string | null;
}

/**
 * `Subscription.profileChanged`: the changes of the given accounts as they happen, from Tencent's
 * profile-change callbacks (any writer) and this service's own setProfile, on every replica. Each
 * change carries a cursor; subscribing again with `after` replays what was missed inside the
 * stream's window, or fails with CURSOR_EXPIRED when the cursor is older (read afresh then).
 */
@Resolver()
export class ProfileSubscription {
  @SubscriptionField(() => ProfileChange, {
    description:
      "Changes of these accounts' profiles as they happen (at most the configured number of ids, default 100). " +
      "`after`: a cursor from an earlier change, to resume without missing one (within the retained window).",
    subscribe: ({ args, context }: SubscribeResolverData<unknown, Args, Context>) => subscribe(args, context),
  })
  profileChanged(
    @Root() change: ProfileChange,
    @Arg("ids", () => [ID]) _ids: string[],
    @Arg("after", () => String, { nullable: true }) _after?: string | null,
  ): ProfileChange {
    return change;
  }
}

/** The `subscribe` of profileChanged: the changes of `args.ids` as GraphQL values. */
export async function subscribe(args: Args, ctx: Context): Promise<AsyncIterable<ProfileChange>> {
  assertAuthenticated(ctx);
  const hub = ctx.changes;
  if (!hub) {
    throw new ProfileError("Live profile changes are not available on this service", {
      code: ErrorCode.UPSTREAM_UNAVAILABLE,
    });
  }
  if (args.ids.length === 0 || args.ids.length > ctx.maxSubscriptionIds) {
    throw badInput([{ field: "ids", rule: `must hold 1 to ${ctx.maxSubscriptionIds} ids (got ${args.ids.length})` }]);
  }
  const errors = args.ids.map((id, i) => userIdError(id, `ids[${i}]`)).filter((e) => e !== undefined);
  if (errors.length > 0) throw errors[0]!;
  return changes(hub, new Set(args.ids), args.after ?? undefined, ctx);
}

/**
 * The subscription's changes, mapped for GraphQL. A hand-written iterator rather than an async
 * generator: a client that unsubscribes while no change comes must end the subscription at once,
 * and a generator suspended on its next change would only see `return()` after that change.
 */
async function changes(
  hub: ChangeHub,
  accounts: ReadonlySet<string>,
  after: string | undefined,
  ctx: Context,
): Promise<AsyncIterableIterator<ProfileChange>> {
  let subscription: Subscription;
  try {
    subscription = await hub.subscribe(accounts, after === undefined ? {} : { after });
  } catch (error) {
    throw asGraphQLError(error);
  }
  // A subscription lives no longer than the token it was opened with: the client resubscribes with
  // a fresh one (and its last cursor, so nothing is missed).
  const expiry = endAtExpiry(subscription, ctx.viewer?.expiresAt);
  // Each change is executed on its own, in order: with a fresh read memo, so `user.profile` is read
  // anew. The read starts as the change reaches the subscription, not when its turn to execute
  // comes: a change invalidates the account's cached profile, so every read at delivery goes to
  // Tencent, and a burst of changes of a subscriber's accounts would otherwise wait one round trip
  // per change queued before it. Started reads of one account are shared by its subscribers (the
  // dispatcher joins them); a read never started before the change, so it never returns the older value.
  const reads = new WeakMap<ChangeEvent, ProfileService>();
  const readsFor = (event: ChangeEvent) => {
    const profiles = ctx.profiles.renew(ctx.eventWindow?.());
    // The resolver's load of this account gets this same promise; its outcome (an error too) is handled there.
    profiles.load(event.change.account).catch(() => undefined);
    reads.set(event, profiles);
  };
  if (ctx.plan?.readsUserProfile) subscription.onAccepted = readsFor;
  const iterator: AsyncIterableIterator<ProfileChange> = {
    async next() {
      try {
        const result = await subscription.next();
        if (result.done) {
          clearTimeout(expiry);
          return { value: undefined, done: true };
        }
        ctx.profiles = reads.get(result.value) ?? ctx.profiles.renew(ctx.eventWindow?.());
        return { value: toChange(result.value, ctx.profiles.registry), done: false };
      } catch (error) {
        clearTimeout(expiry);
        throw asGraphQLError(error);
      }
    },
    async return() {
      clearTimeout(expiry);
      subscription.end();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** A change as the subscriber may see it: only tags a read may return. */
export function toChange(event: ChangeEvent, registry: TagRegistry): ProfileChange {
  const { change } = event;
  const readable = change.items.filter((item) => registry.readableTags.has(item.Tag));
  const changedFields = readable.map((item) => {
    const spec = registry.byTag(item.Tag)!;
    return spec.kind === "standard" ? spec.field : `custom.${spec.key}`;
  });
  return {
    cursor: event.cursor,
    user: { id: change.account },
    changedFields,
    changes: decodeProfile(change.account, readable, registry),
    source: change.source === "callback" ? ChangeSource.CALLBACK : ChangeSource.SET_PROFILE,
    platform: change.platform,
    eventTime: change.eventTime,
  };
}

function asGraphQLError(error: unknown): unknown {
  // The hub's per-process bound (MAX_SUBSCRIPTIONS): the client should try another replica.
  if (error instanceof RangeError) {
    return new ProfileError(error.message, { code: ErrorCode.SUBSCRIPTION_LIMIT_EXCEEDED });
  }
  if (!(error instanceof SubscriptionEndedError)) return error;
  return new ProfileError(error.message, { code: ENDED_CODES[error.reason] });
}

const ENDED_CODES = {
  "cursor-expired": "CURSOR_EXPIRED",
  slow: "SUBSCRIBER_TOO_SLOW",
  closed: "SHUTTING_DOWN",
  "token-expired": "UNAUTHENTICATED",
} as const;

/** Ends `subscription` when the token expires (setTimeout reaches about 24 days; a longer one is left be). */
function endAtExpiry(subscription: Subscription, expiresAt: number | undefined): NodeJS.Timeout | undefined {
  const delay = expiresAt === undefined ? Infinity : expiresAt - Date.now();
  if (delay > MAX_TIMER_MS) return undefined;
  const timer = setTimeout(
    () =>
      subscription.end(
        new SubscriptionEndedError(
          "The token has expired; subscribe again with a fresh one (and `after`: the last cursor received)",
          "token-expired",
        ),
      ),
    Math.max(0, delay),
  );
  timer.unref();
  return timer;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
