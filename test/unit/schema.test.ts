import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { printSchemaFile } from "../../src/print-schema.js";

describe("schema/schema.graphql", () => {
  it("is what the code emits (run `npm run schema` after changing src/graphql)", async () => {
    expect(await readFile("schema/schema.graphql", "utf8")).toBe(await printSchemaFile());
  });
});
