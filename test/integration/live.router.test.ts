import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "graphql-sse";
import { describe, expect, it, vi } from "vitest";
import { PROFILE_CHANGED, results, setNick, type Change } from "../support/live.js";
import { useServices } from "../support/service.js";

// Hive Gateway's runtime (what its CLI and image run), loaded untyped: its types and Apollo
// Server's cannot share one program (see test/support/routers.ts).
const HIVE_GATEWAY: string = "@graphql-hive/gateway-runtime";

describe("profileChanged through Hive Gateway, with the compose stack's configuration", () => {
  const start = useServices();

  it("a browser's SSE subscription at the gateway reaches the subgraph over WebSocket, with the caller's token", async () => {
    const svc = await start({}, {}, {}, { changesEnv: { TIM_CALLBACK_TOKEN: "callback-token-of-the-test-app" } });
    const { gatewayConfig } = (await import(
      new URL("../../deploy/compose/gateway.config.mjs", import.meta.url).href
    )) as { gatewayConfig: Record<string, unknown> };
    const { composeSupergraph } = (await import(
      new URL("../../deploy/compose/supergraph.mjs", import.meta.url).href
    )) as { composeSupergraph: (sdl: string, url?: string) => string };
    const { createGatewayRuntime } = (await import(HIVE_GATEWAY)) as {
      createGatewayRuntime: (config: Record<string, unknown>) => Parameters<typeof createServer>[0] & {
        dispose(): Promise<void> | void;
      };
    };
    const runtime = createGatewayRuntime({
      ...gatewayConfig,
      supergraph: composeSupergraph(readFileSync("schema/schema.graphql", "utf8"), svc.url),
      logging: false,
    });
    const server = createServer(runtime);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
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
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await runtime.dispose();
    }
  });
});
