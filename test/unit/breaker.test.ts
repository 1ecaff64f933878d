import { describe, expect, it } from "vitest";
import { CircuitBreaker, type CircuitState } from "../../src/upstream/breaker.js";

const refused = () => new Error("circuit open");

function breaker(failures = 2, halfOpenAfterMs = 1000) {
  let now = 0;
  const changes: CircuitState[] = [];
  const b = new CircuitBreaker({ failures, halfOpenAfterMs, now: () => now }, (s) => changes.push(s));
  return { b, changes, advance: (ms: number) => (now += ms) };
}

const fail = async (b: CircuitBreaker) => b.record(await b.enter(refused), "failure");

describe("CircuitBreaker", () => {
  it("opens after `failures` consecutive outage failures; a success in between resets the count", async () => {
    const { b } = breaker(2);
    await fail(b);
    b.record(await b.enter(refused), "success");
    await fail(b);
    expect(b.state).toBe("closed");
    await fail(b);
    expect(b.state).toBe("open");
    await expect(b.enter(refused)).rejects.toThrow("circuit open");
  });

  it("half-open after the pause: exactly one trial goes, later callers wait for it and go once it succeeds", async () => {
    const { b, advance, changes } = breaker(1);
    await fail(b);
    advance(999);
    await expect(b.enter(refused)).rejects.toThrow();
    advance(1);
    expect(b.state).toBe("half-open");
    const trial = await b.enter(refused);
    expect(trial.trial).toBe(true);
    let waiterPass: { trial: boolean } | undefined;
    const waiter = b.enter(refused).then((p) => (waiterPass = p));
    await new Promise((r) => setImmediate(r));
    expect(waiterPass).toBeUndefined();
    b.record(trial, "success");
    await waiter;
    expect(waiterPass).toEqual({ trial: false });
    expect(b.state).toBe("closed");
    expect(changes).toEqual(["open", "half-open", "closed"]);
  });

  it("a failed trial opens the circuit again for another pause, and its waiters are refused", async () => {
    const { b, advance } = breaker(1);
    await fail(b);
    advance(1000);
    const trial = await b.enter(refused);
    const waiter = b.enter(refused);
    b.record(trial, "failure");
    await expect(waiter).rejects.toThrow("circuit open");
    expect(b.state).toBe("open");
    advance(1000);
    expect(b.state).toBe("half-open");
  });

  it("an abandoned trial (its caller left) lets the next caller try", async () => {
    const { b, advance } = breaker(1);
    await fail(b);
    advance(1000);
    const trial = await b.enter(refused);
    b.record(trial, "abandoned");
    expect((await b.enter(refused)).trial).toBe(true);
  });

  it("refuses settings it cannot honour", () => {
    expect(() => new CircuitBreaker({ failures: 0, halfOpenAfterMs: 1 })).toThrow(/failures/);
    expect(() => new CircuitBreaker({ failures: 1, halfOpenAfterMs: -1 })).toThrow(/halfOpenAfterMs/);
  });
});
