import { describe, expect, it } from "vitest";
import { parseJson, stringifyJson } from "../../src/tencent/json.js";

describe("lossless JSON", () => {
  it("keeps uint64 integers beyond 2^53 exact", () => {
    const value = parseJson('{"a":18446744073709551615,"b":9007199254740993,"c":42,"d":1.5,"e":"x"}');
    expect(value).toEqual({ a: 18446744073709551615n, b: 9007199254740993n, c: 42, d: 1.5, e: "x" });
    expect(stringifyJson(value)).toBe('{"a":18446744073709551615,"b":9007199254740993,"c":42,"d":1.5,"e":"x"}');
  });

  it("keeps safe integers as numbers even when long digit runs sit in strings", () => {
    expect(parseJson('{"id":"12345678901234567890","n":9007199254740991}')).toEqual({
      id: "12345678901234567890",
      n: 9007199254740991,
    });
  });
});
