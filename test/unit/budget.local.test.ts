import { describe, expect, it } from "vitest";
import { LocalBudget } from "../../src/upstream/budget.js";

const GET = "profile/portrait_get";
const SET = "profile/portrait_set";

describe("LocalBudget: one limiter per API", () => {
  /** Acquire a slot of `api` and note `label` when it is granted. */
  const recorder = (budget: LocalBudget) => {
    const granted: string[] = [];
    const take = (api: string, label: string) => budget.acquire(api).then(() => void granted.push(label));
    return { granted, take };
  };

  it("a queue of portrait_get slots does not delay portrait_set: the write's slot comes before the second read's", async () => {
    // 10 calls/s, none back to back: portrait_get's 2nd and 3rd slots are 100 and 200 ms away.
    const { granted, take } = recorder(new LocalBudget(10));
    const reads = [take(GET, "get 1"), take(GET, "get 2"), take(GET, "get 3")];
    const write = take(SET, "set 1");
    await Promise.all([...reads, write]);
    // With one limiter for every API, the write would wait behind both reads: get 1, get 2, get 3, set 1.
    expect(granted).toEqual(["get 1", "set 1", "get 2", "get 3"]);
  });

  it("each API keeps its own pace: a second write waits for portrait_set's next slot, not for the reads", async () => {
    const { granted, take } = recorder(new LocalBudget(10));
    const firstWrite = take(SET, "set 1");
    await firstWrite;
    // portrait_set's next slot is 100 ms away; portrait_get's first is free now.
    await Promise.all([take(SET, "set 2"), take(GET, "get 1")]);
    expect(granted).toEqual(["set 1", "get 1", "set 2"]);
  });
});
