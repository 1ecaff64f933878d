import { expect, it } from "vitest";
import { startEmulator } from "../support/emulator.js";
import { setNick, subscribeWs, useWsClients } from "../support/live.js";
import { describeRedis, useRedis } from "../support/redis.js";
import { useServices, type Service } from "../support/service.js";

const TOKEN = "callback-token-of-the-test-app";
const ME = "zhang.wei";

describeRedis("profileChanged over WebSocket across two replicas on one Redis", () => {
  const redis = useRedis();
  const start = useServices();
  const connect = useWsClients();

  it("a subscriber on B sees A's setProfile and another writer's change (the callback reaches A), then resumes on A after B drains", async () => {
    const emulator = await startEmulator({ rateLimit: 0 });
    try {
      const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: redis.prefix, REPLICAS: "2", TIM_CALLBACK_TOKEN: TOKEN };
      const a: Service = await start({}, {}, {}, { emulator, changesEnv: env });
      const b: Service = await start({}, {}, {}, { emulator, changesEnv: env });
      // Tencent posts to one URL: here, replica A's receiver. B hears of it only through Redis.
      emulator.configure({ callbacks: { urls: [a.receiverUrl!], token: TOKEN } });

      const onB = connect(b, { Authorization: `Bearer ${b.userToken}` });
      const sub = await subscribeWs(b, onB.client, [ME]);

      await setNick(a, "written on A");
      const first = (await sub.next()).data!.profileChanged;
      // Tencent also calls back for A's own write: whichever of the two is learnt first is the
      // change, once (the next event is the other writer's, below).
      expect(first).toMatchObject({
        changes: { nick: "written on A" },
        user: { id: ME, profile: { nick: "written on A" } },
      });

      await emulator.changeProfile(ME, [{ Tag: "Tag_Profile_IM_Nick", Value: "from an app" }], { platform: "Android" });
      const second = (await sub.next()).data!.profileChanged;
      expect(second).toMatchObject({ source: "CALLBACK", changes: { nick: "from an app" } });
      // Every callback (for A's write and the other writer's) went to A, and was accepted.
      await emulator.callbacksSettled();
      expect(new Set(emulator.callbacks.map((c) => [c.url === a.receiverUrl, c.outcome].join()))).toEqual(
        new Set(["true,200"]),
      );

      // B drains: its client is told 1001 (going away) and reconnects to A with its last cursor.
      await b.server.shutdown(5_000);
      expect(await onB.closed).toEqual(expect.objectContaining({ code: 1001 }));
      await setNick(a, "while away");
      const onA = connect(a, { Authorization: `Bearer ${a.userToken}` });
      const resumed = await subscribeWs(a, onA.client, [ME], second.cursor);
      expect((await resumed.next()).data!.profileChanged.changes.nick).toBe("while away");
      await setNick(a, "after");
      expect((await resumed.next()).data!.profileChanged.changes.nick).toBe("after");
    } finally {
      await emulator.close();
    }
  });
});
