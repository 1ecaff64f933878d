import { describe, expect, it } from "vitest";
import { Gcra } from "../../src/upstream/gcra.js";
import { ThrottleGovernor } from "../../src/upstream/governor.js";

describe("Gcra (take-now)", () => {
  it("grants 1/rate apart with burst 1, and reserves nothing when it says wait", () => {
    const gcra = new Gcra(10);
    expect(gcra.take(0)).toBe(0);
    expect(gcra.take(0)).toBe(100);
    expect(gcra.take(50)).toBe(50);
    // Asking twice did not push the next grant further out.
    expect(gcra.take(100)).toBe(0);
    expect(gcra.take(199)).toBe(1);
  });

  it("any 1-second window holds at most `rate` grants, wherever it starts", () => {
    const gcra = new Gcra(200);
    const grants: number[] = [];
    for (let t = 0; t < 3000; t += 0.25) if (gcra.take(t) === 0) grants.push(t);
    for (let i = 0; i + 200 < grants.length; i++) expect(grants[i + 200]! - grants[i]!).toBeGreaterThanOrEqual(1000);
    expect(grants.length).toBeGreaterThanOrEqual(599);
  });

  it("lets `burst` calls through back to back after an idle spell, then paces", () => {
    const gcra = new Gcra(10, 3);
    expect([gcra.take(0), gcra.take(0), gcra.take(0)]).toEqual([0, 0, 0]);
    expect(gcra.take(0)).toBe(100);
  });
});

describe("ThrottleGovernor", () => {
  it("paces an API at half of what got through once Tencent throttles, and recovers 10% a second", () => {
    let now = 0;
    const governor = new ThrottleGovernor(
      () => 200,
      () => now,
    );
    for (let i = 0; i < 40; i++) governor.succeeded("api");
    governor.throttled("api", now);
    expect(governor.slowedSince("api")).toBe(0);
    now += 5_000;
    // 20/s after the refusal; each clean second adds 10%: still slowed after 5 s.
    expect(governor.slowedSince("api")).toBe(0);
    now += 60_000;
    void governor.pace("api");
    expect(governor.slowedSince("api")).toBeUndefined();
  });

  it("a refusal of a call sent before the last slow-down does not lower the pace again", () => {
    let now = 0;
    const governor = new ThrottleGovernor(
      () => 200,
      () => now,
    );
    for (let i = 0; i < 40; i++) governor.succeeded("api");
    governor.throttled("api", 0);
    now = 10;
    const since = governor.slowedSince("api");
    governor.throttled("api", -5);
    expect(governor.slowedSince("api")).toBe(since);
  });
});
