import { describe, expect, it } from "vitest";
import { readEmulatorSettings } from "../../src/config.js";
import { parseQuirks } from "../../src/emulator/behaviour.js";
import { AccountFailures } from "../../src/emulator/failure.quirks.js";

describe("TIM_EMULATOR_QUIRKS", () => {
  it("is empty by default and read once as JSON with every quirk", () => {
    expect(readEmulatorSettings({}).quirks).toEqual({});
    const all = {
      wholeCallAccountError: 40006,
      defaults: { Tag_Profile_IM_AllowType: "AllowType_Type_AllowAny" },
      emptyProfileCode: 40809,
      accountFailures: { "li.na": { code: 40808, times: 3 } },
      accountFaults: { "40006": 0.05, "40812": 0.01 },
      notFoundCode: 10001,
      invalidAccountCode: 10002,
      integersAsStrings: "all",
      writeApplyDelayMs: 100,
      writeAnswerDelayMs: 4000,
      accountLists: "legacy",
    };
    expect(readEmulatorSettings({ TIM_EMULATOR_QUIRKS: JSON.stringify(all) }).quirks).toEqual(all);
  });

  it("leaves out settings that equal today's behaviour", () => {
    expect(
      parseQuirks({
        defaults: false,
        accountFailures: { "li.na": { code: 40006, times: 0 } },
        accountFaults: { "40006": 0 },
        notFoundCode: 40003,
        invalidAccountCode: 40003,
        integersAsStrings: "none",
        writeAnswerDelayMs: 0,
        accountLists: "current",
      }),
    ).toEqual({});
  });

  it.each([
    ["not JSON", "defaults", /TIM_EMULATOR_QUIRKS="defaults" is invalid: expected quirks must be a JSON object/],
    ["an array", "[]", /quirks must be an object/],
    [
      "an unknown quirk",
      '{"defualts": true}',
      /unknown quirk "defualts"; expected one of wholeCallAccountError, defaults/,
    ],
    [
      "a whole-call code outside the list",
      '{"wholeCallAccountError": 40004}',
      /quirks\.wholeCallAccountError must be one of 40003, 40006, got 40004/,
    ],
    [
      "a non-standard default",
      '{"defaults": {"Tag_Profile_Custom_Test": ""}}',
      /"Tag_Profile_Custom_Test" is not a standard tag/,
    ],
    [
      "a failure code that is not transient",
      '{"accountFailures": {"li.na": {"code": 40003, "times": 1}}}',
      /accountFailures\.li\.na\.code must be one of 40006, 40802/,
    ],
    [
      "a fractional count",
      '{"accountFailures": {"li.na": {"code": 40006, "times": 1.5}}}',
      /times must be a whole number of reads/,
    ],
    ["a negative delay", '{"writeAnswerDelayMs": -1}', /writeAnswerDelayMs must be a number of ms/],
    [
      "an unknown integer mode",
      '{"integersAsStrings": "uint32"}',
      /integersAsStrings must be one of "none", "custom", "all"/,
    ],
  ])("fails fast on %s, naming the variable", (_name, raw, message) => {
    expect(() => readEmulatorSettings({ TIM_EMULATOR_QUIRKS: raw })).toThrow(/TIM_EMULATOR_QUIRKS=/);
    expect(() => readEmulatorSettings({ TIM_EMULATOR_QUIRKS: raw })).toThrow(message);
  });
});

describe("per-account failures", () => {
  it("count down per read, then stop; the probability form draws once per read", () => {
    const counted = new AccountFailures({ accountFailures: { a: { code: 40805, times: 2 } } }, () => 0);
    expect([counted.take("a"), counted.take("b"), counted.take("a"), counted.take("a")]).toEqual([
      40805,
      undefined,
      40805,
      undefined,
    ]);
    expect(counted.remaining()).toEqual({});

    const draws = [0.01, 0.5, 0.04, 0.06];
    const rolled = new AccountFailures({ accountFaults: { "40006": 0.05 } }, () => draws.shift()!);
    expect([rolled.take("a"), rolled.take("a"), rolled.take("b"), rolled.take("b")]).toEqual([
      40006,
      undefined,
      40006,
      undefined,
    ]);
  });
});
