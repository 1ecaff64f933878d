import { EventEmitter } from "node:events";
import type { ServerResponse } from "node:http";
import { describe, expect, it, vi } from "vitest";
import { RequestEnd } from "../../src/server/request-context.js";

/** The parts of a ServerResponse RequestEnd reads: `closed`, `writableFinished` and its "close" event. */
function response() {
  const raw = new EventEmitter() as EventEmitter & { closed: boolean; writableFinished: boolean };
  raw.closed = false;
  raw.writableFinished = false;
  return {
    raw: raw as unknown as ServerResponse,
    /** The connection went away before the answer was sent. */
    drop() {
      raw.closed = true;
      raw.emit("close");
    },
    /** The answer was sent. */
    finish() {
      raw.writableFinished = true;
      raw.closed = true;
      raw.emit("close");
    },
    listeners: () => raw.listenerCount("close"),
  };
}

const codeOf = (signal: AbortSignal) => (signal.reason as { extensions?: { code?: string } }).extensions?.code;

describe("RequestEnd: the signal of an HTTP request's waits for Tencent", () => {
  it("arms nothing until the signal is asked for (a cached read never asks)", () => {
    const res = response();
    const timers = vi.spyOn(globalThis, "setTimeout");
    try {
      new RequestEnd(res.raw, { writes: false }, performance.now() + 5_000, 5_000);
      expect(res.listeners()).toBe(0);
      expect(timers).not.toHaveBeenCalled();
    } finally {
      timers.mockRestore();
    }
  });

  it("ends with CLIENT_CLOSED_REQUEST when the client goes away, before or after the signal was asked for", () => {
    const before = response();
    const early = new RequestEnd(before.raw, { writes: false }, performance.now() + 5_000, 5_000);
    before.drop();
    expect(early.signal.aborted).toBe(true);
    expect(codeOf(early.signal)).toBe("CLIENT_CLOSED_REQUEST");

    const after = response();
    const late = new RequestEnd(after.raw, { writes: false }, performance.now() + 5_000, 5_000);
    const signal = late.signal;
    expect(signal.aborted).toBe(false);
    expect(after.listeners()).toBe(1);
    after.drop();
    expect(codeOf(signal)).toBe("CLIENT_CLOSED_REQUEST");
    expect(late.signal).toBe(signal);
  });

  it("does not end when the answer was sent, nor when a request that writes loses its client", () => {
    const sent = response();
    const answered = new RequestEnd(sent.raw, { writes: false }, performance.now() + 5_000, 5_000);
    const signal = answered.signal;
    sent.finish();
    expect(signal.aborted).toBe(false);

    const writing = response();
    const http = { writes: false };
    const write = new RequestEnd(writing.raw, http, performance.now() + 5_000, 5_000);
    http.writes = true;
    const writeSignal = write.signal;
    writing.drop();
    expect(writeSignal.aborted).toBe(false);
  });

  it("ends with UPSTREAM_UNAVAILABLE at the deadline, counted from the request's start", () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    try {
      const res = response();
      const end = new RequestEnd(res.raw, { writes: false }, performance.now() + 1_000, 1_000);
      vi.advanceTimersByTime(600);
      const signal = end.signal;
      vi.advanceTimersByTime(399);
      expect(signal.aborted).toBe(false);
      vi.advanceTimersByTime(1);
      expect(codeOf(signal)).toBe("UPSTREAM_UNAVAILABLE");

      const past = new RequestEnd(response().raw, { writes: false }, performance.now() - 1, 1_000);
      expect(codeOf(past.signal)).toBe("UPSTREAM_UNAVAILABLE");
    } finally {
      vi.useRealTimers();
    }
  });
});
