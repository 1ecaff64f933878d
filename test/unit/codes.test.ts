import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { accountError, upstreamError } from "../../src/profile/errors.js";
import { TENCENT_CODES } from "../../src/tencent/codes.js";
import { TencentApiError } from "../../src/tencent/errors.js";
import { readPortraitAnswer } from "../../src/tencent/portrait.js";

interface Row {
  code: number;
  classText: string;
  whole: string;
  one: string;
}

/** The rows of docs/tencent-contract.md's error-code table whose first cell is a code. */
function documentedRows(): Row[] {
  const doc = readFileSync("docs/tencent-contract.md", "utf8");
  const section = doc.slice(doc.indexOf("## Error codes"), doc.indexOf("## Legacy profile sequence"));
  return section
    .split("\n")
    .filter((line) => /^\| \d+ \|/.test(line))
    .map((line) => {
      const cells = line.split("|").map((c) => c.trim());
      return { code: Number(cells[1]), classText: cells[3]!, whole: cells[4]!, one: cells[5]! };
    });
}

/** What a code becomes for a whole call, through the same mapping the service uses. */
const wholeCall = (code: number) =>
  upstreamError(new TencentApiError(code, "info", "profile/portrait_get", {})).extensions.code;

/** What a code becomes as one account's ResultCode in a portrait_get answer, read as the service reads it. */
function oneAccount(code: number): string {
  const [result] = readPortraitAnswer(
    { UserProfileItem: [{ To_Account: "a", ResultCode: code, ResultInfo: "info" }], ActionStatus: "OK", ErrorCode: 0 },
    ["a"],
  );
  return result!.ok ? "(an empty profile)" : accountError(result!).extensions.code;
}

describe("docs/tencent-contract.md's error-code table", () => {
  const rows = documentedRows();

  it("lists every code the service knows, once", () => {
    expect(rows.map((r) => r.code).sort()).toEqual(Object.keys(TENCENT_CODES).map(Number).sort());
  });

  it("gives each code the class, role and GraphQL codes the service applies", () => {
    for (const row of rows) {
      const spec = TENCENT_CODES[row.code]!;
      expect.soft(row.classText, `${row.code}`).toBe(spec.role ? `${spec.kind} (${spec.role})` : spec.kind);
      expect.soft(row.whole, `${row.code}, whole call`).toBe(`\`${wholeCall(row.code)}\``);
      const one = oneAccount(row.code);
      expect.soft(row.one, `${row.code}, one account`).toBe(one.startsWith("(") ? one : `\`${one}\``);
    }
  });
});
