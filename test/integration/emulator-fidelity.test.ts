import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { rawCall, startEmulator } from "../support/emulator.js";

/** Where the emulator follows Tencent's documents more closely than it first did. */
type Started = Awaited<ReturnType<typeof startEmulator>>;

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

async function start(options: Parameters<typeof startEmulator>[0] = {}): Promise<Started> {
  const emu = await startEmulator({ rateLimit: 0, ...options });
  cleanup.push(() => emu.close());
  return emu;
}

const GET = "/v4/profile/portrait_get";
const NICK = "Tag_Profile_IM_Nick";

describe("paths: only /v4/ is Tencent's", () => {
  it.each(["/", "/profile/portrait_get", "/v3/profile/portrait_get", "/v4", "/emulatorx/config"])(
    "%s answers HTTP 404 as a gateway would, with no envelope",
    async (path) => {
      const emu = await start();
      const res = await rawCall(emu.url, path, { To_Account: ["li.na"], TagList: [NICK] });
      expect(res.status).toBe(404);
      expect(res.body.text).toMatch(/404 Not Found/);
      expect(emu.calls.map((c) => [c.api, c.outcome])).toEqual([[path, "404"]]);
    },
  );

  it("an unknown API under /v4/ is still the service's 60009, and /emulator/ stays the control API", async () => {
    const emu = await start();
    expect((await rawCall(emu.url, "/v4/profile/portrait_nope", {})).body).toMatchObject({ ErrorCode: 60009 });
    expect((await request(`${emu.url}/emulator/config`)).statusCode).toBe(200);
    expect((await rawCall(emu.url, GET, { To_Account: ["li.na"], TagList: [NICK] })).body).toMatchObject({
      ErrorCode: 0,
    });
  });
});
