import { expect, it, vi } from "vitest";
import { startEmulator } from "../support/emulator.js";
import { describeRedis, useRedis } from "../support/redis.js";
import { useServices, type Service } from "../support/service.js";

const TOKEN = "callback-token-of-the-test-app";
const NICK = `query($id: ID!) { user(id: $id) { profile { nick } } }`;
type Nick = { user: { profile: { nick: string } | null } | null };
const nickOf = async (svc: Service, id: string) => (await svc.gql<Nick>(NICK, { id })).data?.user?.profile?.nick;

describeRedis("three replicas on one Redis, kept coherent by the profile-change callback", () => {
  const redis = useRedis();
  const start = useServices();

  it("another writer's change reaches the next read on every replica, though only one received the callback", async () => {
    const emulator = await startEmulator({ rateLimit: 0 });
    try {
      const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, REPLICAS: "3", TIM_CALLBACK_TOKEN: TOKEN };
      const replicas: Service[] = [];
      for (let i = 0; i < 3; i++) replicas.push(await start({}, {}, {}, { emulator, changesEnv: env }));
      // Tencent posts to one URL (behind a load balancer): here, the last replica's receiver.
      const receiver = replicas[2]!.receiverUrl!;
      const reads = () => emulator.calls.filter((c) => c.api === "profile/portrait_get").length;

      for (const svc of replicas) expect(await nickOf(svc, "sato.yuki")).toBe("佐藤 ゆき");
      const cached = reads();
      for (const svc of replicas) expect(await nickOf(svc, "sato.yuki")).toBe("佐藤 ゆき");
      expect(reads()).toBe(cached); // every replica now reads from the shared cache

      await emulator.changeProfile("sato.yuki", [{ Tag: "Tag_Profile_IM_Nick", Value: "ゆき!" }], {
        platform: "Android",
      });
      await emulator.callbacksSettled();
      expect(emulator.callbacks.map((c) => [c.url === receiver, c.outcome])).toEqual([[true, 200]]);
      // The receiving replica answered first and applies just after: give it a moment, not a TTL.
      await vi.waitFor(async () => expect(await nickOf(replicas[2]!, "sato.yuki")).toBe("ゆき!"), {
        timeout: 2_000,
        interval: 10,
      });
      // The others read the new value at once: the shared cache entry was invalidated for all.
      expect(await nickOf(replicas[0]!, "sato.yuki")).toBe("ゆき!");
      expect(await nickOf(replicas[1]!, "sato.yuki")).toBe("ゆき!");
      // … and cache it again: one more read of Tencent in all.
      expect(await nickOf(replicas[0]!, "sato.yuki")).toBe("ゆき!");
      expect(reads()).toBe(cached + 1);
    } finally {
      await emulator.close();
    }
  });
});
