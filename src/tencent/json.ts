import { isInteger, isSafeNumber, parse, stringify } from "lossless-json";

/**
 * JSON for the Tencent wire: integers keep every digit.
 *
 * Tencent values are uint64 (custom profile integers go up to 2^64-1), and `JSON.parse` rounds
 * anything above 2^53. An integer that is not a safe JS number comes back as a `bigint`;
 * everything else is an ordinary JS value.
 *
 *   parseJson('{"v":18446744073709551615}')  // { v: 18446744073709551615n }
 */
export function parseJson(text: string): unknown {
  // Fast path: a number with at most 15 digits is always exact as a double, so text without a
  // run of 16 digits parses natively. Digit runs inside strings only cost a slower parse.
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  return parse(text, undefined, parseNumber);
}

/** `JSON.stringify`, except that `bigint` values are written as exact JSON integers. */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    // JSON.stringify throws a TypeError on BigInt; only then pay for the lossless writer.
    if (!(error instanceof TypeError)) throw error;
    const text = stringify(value);
    if (text === undefined) throw error;
    return text;
  }
}

const LONG_DIGIT_RUN = /\d{16}/;

function parseNumber(text: string): number | bigint {
  if (isInteger(text) && !isSafeNumber(text)) return BigInt(text);
  return Number(text);
}
