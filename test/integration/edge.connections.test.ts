import { describe, expect, it, vi } from "vitest";
import { useServices } from "../support/service.js";
import { keepAliveGet, openSocket, responses, type RawSocket } from "../support/sockets.js";

// The HTTP edge: how many sockets may be open, and how long one may take to send its request or
// sit idle. Each is a socket-level refusal, so no Tencent call can follow from it.
describe("connections and timeouts", () => {
  const start = useServices();
  const times = <T>(n: number, make: () => T): T[] => Array.from({ length: n }, make);
  /** Whether a fresh connection is served: a GET /healthz answered (true) or closed unanswered (false). */
  const served = async (url: string) => {
    const socket = await openSocket(url);
    socket.write(keepAliveGet("/healthz"));
    await vi.waitFor(() => expect(responses(socket.received()) === 1 || socket.closed()).toBe(true), {
      timeout: 2_000,
    });
    socket.destroy();
    return responses(socket.received()) === 1;
  };

  it("maxConnections: with a cap of 5, five sockets are served and stay open; more are closed at once, unanswered, until one leaves", async () => {
    const svc = await start({}, { http: { maxConnections: 5 } });
    const first = await Promise.all(times(5, () => openSocket(svc.url)));
    for (const socket of first) socket.write(keepAliveGet("/healthz"));
    await vi.waitFor(() => expect(first.map((s) => responses(s.received()))).toEqual([1, 1, 1, 1, 1]));

    const extra = await Promise.all(times(5, () => openSocket(svc.url)));
    for (const socket of extra) socket.write(keepAliveGet("/healthz"));
    // Closed by the server well before any timeout (the shortest, keep-alive, is 5 s here).
    await vi.waitFor(() => expect(extra.map((s) => s.closed())).toEqual([true, true, true, true, true]), {
      timeout: 2_000,
    });
    expect(extra.map((s) => s.received())).toEqual(["", "", "", "", ""]);

    // The first five were not disturbed: still open, and each serves a second request.
    expect(first.map((s) => s.closed())).toEqual([false, false, false, false, false]);
    for (const socket of first) socket.write(keepAliveGet("/healthz"));
    await vi.waitFor(() => expect(first.map((s) => responses(s.received()))).toEqual([2, 2, 2, 2, 2]));

    // A cap, not a ban: once one of the five leaves, a new connection gets its place.
    expect(await served(svc.url)).toBe(false);
    first[0]!.destroy();
    await vi.waitFor(async () => expect(await served(svc.url)).toBe(true), { timeout: 2_000 });
    expect(svc.emulator.calls).toEqual([]);
  });

  it("requestTimeoutMs: a request whose body trickles in, or never comes, is cut off (408) once 1000 ms have passed", async () => {
    // The idle timeout (6 s) is far off, and the header timeout (10 s) cannot outlast the request
    // it belongs to: only the request timeout can end these.
    const svc = await start({}, { http: { requestTimeoutMs: 1_000 } });
    const head = "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{";
    const began = performance.now();
    const [trickling, silent] = (await Promise.all(times(2, () => openSocket(svc.url)))) as [RawSocket, RawSocket];
    trickling.write(head);
    silent.write(head);
    // One byte every 50 ms: never idle, and the whole body would take 50 s.
    let trickled = 0;
    const trickle = setInterval(() => {
      if (trickling.closed()) return;
      trickling.write(" ");
      trickled++;
    }, 50);
    try {
      await vi.waitFor(() => expect([trickling.closed(), silent.closed()]).toEqual([true, true]), {
        timeout: 5_000,
        interval: 50,
      });
    } finally {
      clearInterval(trickle);
      // Already closed when the timeout works; otherwise the failure should not wait for them.
      trickling.destroy();
      silent.destroy();
    }
    for (const socket of [trickling, silent]) {
      expect(socket.received()).toMatch(/^(HTTP\/1\.1 408 |$)/);
      // Not before the timeout (timers never fire early): it was the request timeout that ended it.
      expect(socket.closedAt()! - began).toBeGreaterThanOrEqual(1_000);
    }
    expect(trickled).toBeGreaterThan(0);
    expect(svc.emulator.calls).toEqual([]);
  });

  it("keepAliveTimeoutMs: a kept-alive connection serves its next request, and is closed after 500 ms idle", async () => {
    // The request timeout (30 s) and the idle socket timeout (30.5 s) are far off.
    const svc = await start({}, { http: { keepAliveTimeoutMs: 500 } });
    const socket = await openSocket(svc.url);
    socket.write(keepAliveGet("/healthz"));
    await vi.waitFor(() => expect(responses(socket.received())).toBe(1));
    socket.write(keepAliveGet("/healthz"));
    await vi.waitFor(() => expect(responses(socket.received())).toBe(2));
    const idleSince = performance.now();
    expect(socket.closed()).toBe(false);
    // Node keeps an idle socket 1 s past the advertised `Keep-Alive: timeout` (so a client that
    // honours it never races the close): closed at about 1.5 s, far before anything else would close it.
    await vi.waitFor(() => expect(socket.closed()).toBe(true), { timeout: 4_000, interval: 25 });
    // The server's idle timer started as it sent the answer, a moment before it arrived here.
    expect(socket.closedAt()! - idleSince).toBeGreaterThanOrEqual(500);
    expect(responses(socket.received())).toBe(2);
    expect(svc.emulator.calls).toEqual([]);
  });
});
