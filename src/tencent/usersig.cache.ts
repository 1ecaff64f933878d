import { signUserSig } from "./usersig.js";

/**
 * The admin UserSig every call carries, minted once and renewed at half its life, with the query
 * prefix built from it (`sdkappid=…&identifier=…&usersig=…`).
 */
export class UserSigCache {
  #current: { renewAtMs: number; queryPrefix: string } | undefined;

  constructor(
    private readonly params: {
      sdkAppId: number;
      secretKey: string;
      identifier: string;
      ttlSeconds: number;
      now: () => number;
    },
  ) {}

  queryPrefix(): string {
    const nowMs = this.params.now();
    if (this.#current === undefined || nowMs >= this.#current.renewAtMs) {
      const { sdkAppId, secretKey, identifier, ttlSeconds } = this.params;
      const sig = signUserSig({
        sdkAppId,
        secretKey,
        identifier,
        expireSeconds: ttlSeconds,
        time: Math.floor(nowMs / 1000),
      });
      this.#current = {
        renewAtMs: nowMs + (ttlSeconds * 1000) / 2,
        queryPrefix: `sdkappid=${sdkAppId}&identifier=${encodeURIComponent(identifier)}&usersig=${encodeURIComponent(sig)}`,
      };
    }
    return this.#current.queryPrefix;
  }

  /** Forget the cached sig: the next call mints a new one. */
  renew(): void {
    this.#current = undefined;
  }
}
