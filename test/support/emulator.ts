import { request } from "undici";
import { afterEach } from "vitest";
import { createEmulator, type EmulatorOptions } from "../../src/emulator/emulator.js";
import { TagRegistry } from "../../src/profile/tags.js";
import { parseJson } from "../../src/tencent/json.js";
import { signUserSig } from "../../src/tencent/usersig.js";
import { createUpstream, type Upstream, type UpstreamSettings } from "../../src/upstream/upstream.js";

export const APP = {
  sdkAppId: 1400000001,
  secretKey: "test-secret-key-0123456789abcdef",
  adminIdentifier: "administrator",
};

/** An emulator on an ephemeral loopback port, with the test app's credentials. */
export async function startEmulator(options: Partial<EmulatorOptions> = {}) {
  const emulator = await createEmulator({
    ...APP,
    tags: TagRegistry.fromSpec("Test:string,Score:integer,Secret:string:w,Locked:string:r"),
    ...options,
  });
  const url = await emulator.listen(0);
  return Object.assign(emulator, { url });
}

export function clientFor(url: string, options: Partial<UpstreamSettings> = {}): Upstream {
  return createUpstream({ ...APP, baseUrl: url, ...options });
}

export function adminSig(overrides: Partial<Parameters<typeof signUserSig>[0]> = {}): string {
  return signUserSig({
    sdkAppId: APP.sdkAppId,
    secretKey: APP.secretKey,
    identifier: APP.adminIdentifier,
    expireSeconds: 3600,
    ...overrides,
  });
}

/** A raw REST call, as any HTTP client would send it; returns status and parsed body. */
export async function rawCall(
  baseUrl: string,
  path: string,
  body: unknown,
  query: Record<string, string | undefined> = {},
  method = "POST",
): Promise<{ status: number; body: Record<string, unknown> }> {
  const params = new URLSearchParams();
  const all = {
    sdkappid: String(APP.sdkAppId),
    identifier: APP.adminIdentifier,
    usersig: adminSig(),
    random: "12345",
    contenttype: "json",
    ...query,
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) params.set(k, v);
  const res = await request(`${baseUrl}${path}?${params.toString()}`, {
    method: method as "POST",
    body: method === "GET" ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    body: res.statusCode === 200 ? (parseJson(text) as Record<string, unknown>) : { text },
  };
}

/** A `sleep` for the emulator whose delays end only when the test releases them (or the emulator closes). */
export function gatedSleep() {
  const waits: { ms: number; release: () => void }[] = [];
  const sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      waits.push({ ms, release: resolve });
      signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
    });
  return { waits, sleep };
}

export type StartedEmulator = Awaited<ReturnType<typeof startEmulator>>;

/**
 * `startEmulator` for one test at a time (throttle off unless asked): every emulator a test
 * starts is closed after it.
 */
export function useEmulators(): (options?: Partial<EmulatorOptions>) => Promise<StartedEmulator> {
  const running: StartedEmulator[] = [];
  afterEach(async () => {
    while (running.length) await running.pop()!.close();
  });
  return async (options = {}) => {
    const emu = await startEmulator({ rateLimit: 0, ...options });
    running.push(emu);
    return emu;
  };
}
