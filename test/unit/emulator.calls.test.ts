import { describe, expect, it } from "vitest";
import { CallLog, MAX_RECORD_BYTES, MAX_RECORDS, recordBytes, type CallRecord } from "../../src/emulator/calls.js";

const get = (at: number, accounts: number, outcome: CallRecord["outcome"] = 0): CallRecord => ({
  api: "profile/portrait_get",
  at,
  outcome,
  accounts: Array.from({ length: accounts }, (_, i) => `bench-${10_000 + i}`),
  tags: ["Tag_Profile_IM_Nick"],
  results: Array.from({ length: accounts }, () => 0),
});

describe("the emulator's call log", () => {
  it("keeps every record, oldest first, while under its bounds", () => {
    const log = new CallLog();
    for (let i = 0; i < 1000; i++) log.record(get(i, 16));
    expect(log.calls.map((c) => c.at)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(log.summarize()).toMatchObject({ total: 1000, dropped: 0 });
  });

  it("drops the oldest records once their estimated bytes pass the bound, and still counts every call", () => {
    const maxBytes = 100 * recordBytes(get(0, 100));
    const log = new CallLog({ maxRecords: MAX_RECORDS, maxBytes });
    for (let i = 0; i < 1000; i++) log.record(get(i, 100, i % 10 === 0 ? 60007 : 0));

    const { records, bytes, dropped } = log.size;
    expect(bytes).toBeLessThanOrEqual(maxBytes);
    expect(records + dropped).toBe(1000);
    expect(log.calls.at(-1)!.at).toBe(999);
    expect(log.calls.map((c) => c.at)).toEqual(Array.from({ length: records }, (_, i) => 1000 - records + i));
    // Per API and outcome, every call since the last clear, not only the records kept.
    expect(log.summarize()).toMatchObject({
      total: 1000,
      dropped,
      byApi: { "profile/portrait_get": { calls: 1000, outcomes: { "0": 900, "60007": 100 } } },
    });
  });

  it("drops by count too, in one splice down to 90% of the bound rather than one record at a time", () => {
    const log = new CallLog({ maxRecords: 100, maxBytes: MAX_RECORD_BYTES });
    const array = log.calls;
    for (let i = 0; i < 101; i++) log.record(get(i, 1));
    expect(log.calls).toBe(array); // the very array `emulator.calls` hands out
    expect(log.size).toMatchObject({ records: 90, dropped: 11 });
    for (let i = 101; i < 111; i++) log.record(get(i, 1));
    expect(log.size).toMatchObject({ records: 100, dropped: 11 });
  });

  it("starts over on clear()", () => {
    const log = new CallLog({ maxRecords: 10, maxBytes: MAX_RECORD_BYTES });
    for (let i = 0; i < 25; i++) log.record(get(i, 1));
    log.clear();
    expect(log.summarize()).toEqual({ total: 0, byApi: {}, injected: { outage: 0, fault: 0 }, dropped: 0, calls: [] });
    expect(log.size).toEqual({ records: 0, bytes: 0, dropped: 0 });
  });

  it("estimates a malformed request's record without failing", () => {
    const record = { api: "profile/portrait_get", at: 0, outcome: 40001, accounts: [7, null] as unknown as string[] };
    expect(recordBytes(record)).toBeGreaterThan(256);
  });
});
