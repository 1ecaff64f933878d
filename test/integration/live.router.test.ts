import { createClient } from "graphql-sse";
import { describe, expect, it, vi } from "vitest";
import { PROFILE_CHANGED, results, setNick, type Change } from "../support/live.js";
import { startComposeGateway } from "../support/routers.js";
import { useServices } from "../support/service.js";

describe("profileChanged through Hive Gateway, with the compose stack's configuration", () => {
  const start = useServices();

  it("a browser's SSE subscription at the gateway reaches the subgraph over WebSocket, with the caller's token", async () => {
    const svc = await start({}, {}, {}, { changesEnv: { TIM_CALLBACK_TOKEN: "callback-token-of-the-test-app" } });
    const gateway = await startComposeGateway(svc.url);
    try {
      const url = gateway.url;
      const client = createClient({ url, headers: { Authorization: `Bearer ${svc.userToken}` }, retryAttempts: 0 });
      const stream = results(
        client.iterate<{ profileChanged: Change }>({ query: PROFILE_CHANGED, variables: { ids: ["zhang.wei"] } }),
      );
      const next = stream.next();
      await vi.waitFor(() => expect(svc.server.changes!.subscriptions).toBe(1), { interval: 10, timeout: 5_000 });
      await setNick(svc, "via the gateway");
      expect((await next).data?.profileChanged).toMatchObject({ changes: { nick: "via the gateway" } });
      await stream.stop();
      client.dispose();

      // Without a token the subgraph refuses the gateway's WebSocket (4401): what it forwarded above
      // was the caller's token. (The gateway masks the subgraph's reason.)
      const anonymous = createClient({ url, retryAttempts: 0 });
      const refused = await results(
        anonymous.iterate({ query: PROFILE_CHANGED, variables: { ids: ["zhang.wei"] } }),
      ).next();
      expect(refused.errors?.length).toBeGreaterThan(0);
      expect(refused.data ?? undefined).toBeUndefined();
      expect(svc.server.changes!.subscriptions).toBe(0);
      anonymous.dispose();
    } finally {
      await gateway.close();
    }
  });
});
