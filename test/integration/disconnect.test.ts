import { request } from "undici";
import { describe, expect, it, vi } from "vitest";
import { DEMO_ACCOUNTS } from "../../src/emulator/seed.js";
import { gatedSleep } from "../support/emulator.js";
import { useServices, type Service } from "../support/service.js";
import { openSocket, type RawSocket } from "../support/sockets.js";

// A client that disconnects before its read left cancels that read: no upstream call carries
// accounts only it wanted, while accounts other requests wait for still go.

const startService = useServices();
const DEMO = DEMO_ACCOUNTS.map((a) => a.id);

/** POST a GraphQL operation on a raw socket and leave it open; `destroy()` is the client going away. */
async function sendRaw(svc: Service, query: string): Promise<RawSocket> {
  const socket = await openSocket(svc.url);
  const body = JSON.stringify({ query });
  socket.write(
    `POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${svc.userToken}\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  return socket;
}

async function metric(svc: Service, pattern: RegExp): Promise<number | undefined> {
  const text = await (await request(svc.url.replace("/graphql", "/metrics"))).body.text();
  const value = pattern.exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}
const QUEUED = /^portrait_graph_read_queue_accounts (\d+)$/m;

describe("a client that disconnects", () => {
  it("before its read left: 100 such reads cost no upstream call; a connected request sharing some accounts gets its answer", async () => {
    // One call slot every 5 s: the readiness check took the first, so every read below waits for the next.
    const svc = await startService({}, { queue: { maxWaitMs: 30_000 } }, { rateLimit: 0.2 });
    const gone = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        sendRaw(svc, `{ users(ids: ["gone${i}", "${DEMO[i % DEMO.length]}"]) { id profile { nick } } }`),
      ),
    );
    const connected = svc.gql(`{ users(ids: ${JSON.stringify(DEMO)}) { id profile { nick } } }`);
    // 100 accounts only the leaving clients want, and the 5 demo accounts everybody wants.
    await vi.waitFor(async () => expect(await metric(svc, QUEUED)).toBe(105), { timeout: 10_000, interval: 50 });
    expect(svc.portraitGets()).toEqual([]); // the slot has not come yet: the premise of the test
    for (const socket of gone) socket.destroy();

    const { data, errors } = await connected;
    expect(errors).toBeUndefined();
    expect(data).toEqual({
      users: DEMO_ACCOUNTS.map((a) => ({ id: a.id, profile: { nick: a.profile.Tag_Profile_IM_Nick } })),
    });
    expect(svc.portraitGets().map((accounts) => [...accounts].sort())).toEqual([[...DEMO].sort()]);
    expect(await metric(svc, QUEUED)).toBe(0);
    // Each abandoned operation ends with the disconnect as its outcome (logs and metrics only).
    expect(
      await metric(
        svc,
        /^portrait_graph_graphql_requests_total\{operation="anonymous",outcome="CLIENT_CLOSED_REQUEST"\} (\d+)$/m,
      ),
    ).toBe(100);
  });

  it("while its write is at Tencent: the write runs to its end (cutting it would only make its outcome unknown)", async () => {
    const gate = gatedSleep();
    const svc = await startService({ sleep: gate.sleep, quirks: { writeApplyDelayMs: 1_000 } });
    const socket = await sendRaw(svc, 'mutation Write { setProfile(input: { nick: "离线写" }) { id } }');
    await vi.waitFor(() => expect(gate.waits).toHaveLength(1), { timeout: 10_000, interval: 20 });
    socket.destroy();
    await socket.ended;
    gate.waits[0]!.release();

    const ok = /^portrait_graph_graphql_requests_total\{operation="Write",outcome="ok"\} (\d+)$/m;
    await vi.waitFor(async () => expect(await metric(svc, ok)).toBe(1), { timeout: 10_000, interval: 50 });
    const { data } = await svc.gql("{ me { profile { nick } } }");
    expect(data).toEqual({ me: { profile: { nick: "离线写" } } });
  });
});
