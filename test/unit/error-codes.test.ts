import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { ApolloServerErrorCode } from "@apollo/server/errors";
import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/profile/error-codes.js";
import { formatErrors } from "../../src/server/errors.js";
import { createLogger } from "../../src/server/logger.js";

const registered = Object.keys(ERROR_CODES).sort();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("the error-code registry (src/profile/error-codes.ts)", () => {
  it("holds every code Apollo Server raises here (persisted queries are on, so never PERSISTED_QUERY_NOT_SUPPORTED)", () => {
    const apollo = Object.values(ApolloServerErrorCode).filter(
      (c) => c !== ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
    );
    expect(registered).toEqual(expect.arrayContaining(apollo));
  });

  it("holds every code written as a literal in the service's sources (the emulator's and Tencent's numeric codes aside)", () => {
    const literals = new Set<string>();
    for (const file of sources("src").filter((f) => !/src\/(emulator|tencent)\//.test(f))) {
      for (const match of readFileSync(file, "utf8").matchAll(/\bcode: "([A-Z_]+)"/g)) literals.add(match[1]!);
    }
    expect([...literals].filter((code) => !registered.includes(code))).toEqual([]);
  });

  it("is what the README's Errors table lists, code for code", () => {
    const readme = readFileSync("README.md", "utf8");
    const table = readme.slice(readme.indexOf("## Errors"), readme.indexOf("\n## ", readme.indexOf("## Errors") + 1));
    const rows = table.split("\n").filter((line) => line.startsWith("| `"));
    const listed = rows.flatMap((row) => [...row.split("|")[1]!.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!));
    expect(listed.sort()).toEqual(registered);
  });

  it("decides what formatError passes in production: every registered code keeps its message, any other is masked", () => {
    const format = formatErrors(createLogger({ level: "silent" }), false);
    for (const code of registered.filter((c) => c !== "INTERNAL_SERVER_ERROR")) {
      const formatted = format({ message: `refused: ${code}`, extensions: { code } }, new Error("thrown"));
      expect(formatted.message).toBe(`refused: ${code}`);
    }
    const masked = format({ message: "db password in here", extensions: { code: "SOME_LIBRARY_CODE" } }, new Error());
    expect(masked).toEqual({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
    // GraphQL's own errors (graphql-js refusing the document) pass whatever their code.
    const own = format({ message: "Syntax Error" }, new GraphQLError("Syntax Error"));
    expect(own.message).toBe("Syntax Error");
  });
});
