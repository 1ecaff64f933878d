import type { ApolloServerPlugin } from "@apollo/server";
import type { Context } from "../../graphql/context.js";

/**
 * Marks an answer that holds profiles served stale (the cache's last value, within
 * STALE_IF_ERROR_MS, because Tencent could not answer): `extensions.staleProfiles` lists each such
 * account with the value's age and the error it stood in for, so a client can tell, and the answer
 * is never stored by a router or CDN (`Cache-Control: no-store`).
 *
 *   { "data": { … }, "extensions": { "staleProfiles": [{ "account": "li.na", "ageMs": 73000, "reason": "UPSTREAM_UNAVAILABLE" }] } }
 */
export function stalePlugin(): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue, response }) {
          const stale = contextValue.profiles.stale;
          if (stale.size === 0 || response.body.kind !== "single") return;
          const result = response.body.singleResult;
          result.extensions = {
            ...result.extensions,
            staleProfiles: [...stale].map(([account, { ageMs, reason }]) => ({
              account,
              ageMs: Math.round(ageMs),
              reason,
            })),
          };
          response.http.headers.set("cache-control", "no-store");
        },
      };
    },
  };
}
