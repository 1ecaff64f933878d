import { verifyUserSig, type UserSigFailure } from "../tencent/usersig.js";
import { EnvelopeError } from "./envelope.js";

const SIG_CODES: Record<UserSigFailure, [number, string]> = {
  empty: [70002, "UserSig is empty"],
  undecodable: [70003, "UserSig is invalid: it does not decode"],
  expired: [70001, "UserSig has expired"],
  "identifier-mismatch": [70013, "identifier differs from the UserSig's identifier"],
  "sdkappid-mismatch": [70014, "sdkappid differs from the UserSig's sdkappid"],
  "hmac-mismatch": [70009, "UserSig HMAC check failed: signed with another key"],
};

export interface AppCredentials {
  sdkAppId: number;
  secretKey: string;
  admins: ReadonlySet<string>;
}

/**
 * Check the query parameters every REST call carries (docs/tencent-contract.md, "Request
 * envelope" and "UserSig v2") and throw the code Tencent answers with: 60012/60006 for sdkappid,
 * 60002 for the other parameters, 700xx for the UserSig, 60010 when the identifier is not an
 * app admin.
 */
export function checkQuery(query: URLSearchParams, app: AppCredentials, nowSeconds: number): void {
  const sdkAppId = query.get("sdkappid");
  if (sdkAppId === null || sdkAppId === "") throw new EnvelopeError(60012, "SDKAppID is missing");
  if (!/^\d+$/.test(sdkAppId) || Number(sdkAppId) !== app.sdkAppId) {
    throw new EnvelopeError(60006, `SDKAppID ${sdkAppId} is invalid`);
  }
  const identifier = query.get("identifier");
  if (identifier === null || identifier === "") throw new EnvelopeError(60002, "identifier parameter is required");
  const random = query.get("random");
  if (random === null || !/^\d{1,10}$/.test(random) || Number(random) > 0xffff_ffff) {
    throw new EnvelopeError(60002, "random parameter must be an unsigned 32-bit integer");
  }
  if (query.get("contenttype") !== "json") throw new EnvelopeError(60002, "contenttype parameter must be json");
  const userSig = query.get("usersig") ?? "";
  const verdict = verifyUserSig(userSig, {
    sdkAppId: app.sdkAppId,
    secretKey: app.secretKey,
    identifier,
    now: nowSeconds,
  });
  if (!verdict.ok) {
    const [code, info] = SIG_CODES[verdict.reason];
    throw new EnvelopeError(code, info);
  }
  if (!app.admins.has(identifier)) {
    throw new EnvelopeError(60010, `${identifier} is not an app admin; REST APIs need admin permission`);
  }
}
