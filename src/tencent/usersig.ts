import { createHmac, timingSafeEqual } from "node:crypto";
import { deflateSync, inflateSync } from "node:zlib";

/**
 * UserSig v2, as Tencent's official TLSSigAPIv2 libraries mint and check it (docs/tencent-contract.md,
 * "UserSig v2").
 *
 *   const sig = signUserSig({ sdkAppId: 1400000000, secretKey, identifier: "administrator", expireSeconds: 86400 });
 *   verifyUserSig(sig, { sdkAppId: 1400000000, secretKey, identifier: "administrator" }); // { ok: true, ... }
 */
export interface UserSigParams {
  sdkAppId: number;
  /** The app's secret key; its ASCII bytes are the HMAC key (it is never hex-decoded). */
  secretKey: string;
  identifier: string;
  /** Validity in seconds, counted from `time`. */
  expireSeconds: number;
  /** Issue time in Unix seconds; defaults to now. */
  time?: number;
  /** Optional opaque user buffer (TRTC privilege maps); signed when present. */
  userBuf?: Buffer;
}

export interface UserSigPayload {
  identifier: string;
  sdkAppId: number;
  time: number;
  expire: number;
  userBuf?: string;
  sig: string;
}

/** Why a UserSig was refused, named for the Tencent error code the emulator answers with. */
export type UserSigFailure =
  | "empty" // 70002
  | "undecodable" // 70003
  | "sdkappid-mismatch" // 70014
  | "identifier-mismatch" // 70013
  | "hmac-mismatch" // 70009
  | "expired"; // 70001

export type UserSigVerdict =
  { ok: true; payload: UserSigPayload; expiresAt: number } | { ok: false; reason: UserSigFailure };

export function signUserSig(params: UserSigParams): string {
  const time = params.time ?? Math.floor(Date.now() / 1000);
  const userBuf = params.userBuf?.toString("base64");
  const doc: Record<string, string | number> = {
    "TLS.ver": "2.0",
    "TLS.identifier": params.identifier,
    "TLS.sdkappid": params.sdkAppId,
    "TLS.expire": params.expireSeconds,
    "TLS.time": time,
  };
  if (userBuf !== undefined) doc["TLS.userbuf"] = userBuf;
  doc["TLS.sig"] = hmacBase64(params.secretKey, {
    identifier: params.identifier,
    sdkAppId: params.sdkAppId,
    time,
    expire: params.expireSeconds,
    userBuf,
  });
  return escapeBase64(deflateSync(Buffer.from(JSON.stringify(doc))).toString("base64"));
}

/** Decode without checking anything: the fields as the signer wrote them, or undefined. */
export function decodeUserSig(userSig: string): UserSigPayload | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(inflateSync(Buffer.from(unescapeBase64(userSig), "base64")).toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof doc !== "object" || doc === null) return undefined;
  const d = doc as Record<string, unknown>;
  const identifier = d["TLS.identifier"];
  const sdkAppId = toInteger(d["TLS.sdkappid"]);
  const time = toInteger(d["TLS.time"]);
  const expire = toInteger(d["TLS.expire"]);
  const sig = d["TLS.sig"];
  const userBuf = d["TLS.userbuf"];
  if (typeof identifier !== "string" || typeof sig !== "string") return undefined;
  if (sdkAppId === undefined || time === undefined || expire === undefined) return undefined;
  if (userBuf !== undefined && typeof userBuf !== "string") return undefined;
  return { identifier, sdkAppId, time, expire, sig, ...(userBuf === undefined ? {} : { userBuf }) };
}

/**
 * Check a UserSig for one app and identifier. Identity is checked before the HMAC, and the HMAC
 * before expiry, so a forged `time` is reported as a forgery, not as an expired sig.
 */
export function verifyUserSig(
  userSig: string,
  expected: { sdkAppId: number; secretKey: string; identifier: string; now?: number },
): UserSigVerdict {
  if (userSig === "") return { ok: false, reason: "empty" };
  const payload = decodeUserSig(userSig);
  if (payload === undefined) return { ok: false, reason: "undecodable" };
  if (payload.sdkAppId !== expected.sdkAppId) return { ok: false, reason: "sdkappid-mismatch" };
  if (payload.identifier !== expected.identifier) return { ok: false, reason: "identifier-mismatch" };
  const want = Buffer.from(hmacBase64(expected.secretKey, payload));
  const got = Buffer.from(payload.sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) {
    return { ok: false, reason: "hmac-mismatch" };
  }
  const now = expected.now ?? Math.floor(Date.now() / 1000);
  const expiresAt = payload.time + payload.expire;
  if (now > expiresAt) return { ok: false, reason: "expired" };
  return { ok: true, payload, expiresAt };
}

function hmacBase64(
  secretKey: string,
  f: { identifier: string; sdkAppId: number; time: number; expire: number; userBuf?: string | undefined },
): string {
  let content =
    `TLS.identifier:${f.identifier}\n` +
    `TLS.sdkappid:${f.sdkAppId}\n` +
    `TLS.time:${f.time}\n` +
    `TLS.expire:${f.expire}\n`;
  if (f.userBuf !== undefined) content += `TLS.userbuf:${f.userBuf}\n`;
  return createHmac("sha256", Buffer.from(secretKey, "ascii")).update(content).digest("base64");
}

// Tencent's URL-safe base64 variant: '+' → '*', '/' → '-', '=' → '_'.
function escapeBase64(b64: string): string {
  return b64.replace(/[+/=]/g, (c) => (c === "+" ? "*" : c === "/" ? "-" : "_"));
}

function unescapeBase64(s: string): string {
  return s.replace(/[*\-_]/g, (c) => (c === "*" ? "+" : c === "-" ? "/" : "="));
}

// Official libraries write numbers; some older ones wrote numeric strings.
function toInteger(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isSafeInteger(v)) return v;
  if (typeof v === "string" && /^\d{1,15}$/.test(v)) return Number(v);
  return undefined;
}
