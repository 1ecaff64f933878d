import { readFileSync } from "node:fs";
import { parse, print } from "graphql";
import { describe, expect, it } from "vitest";

// The frontend tests send the README's query and mutation; this keeps the two from drifting apart.
const README = readFileSync("README.md", "utf8");
const blocks = [...README.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);

function readmeOperation(name: string): string {
  const block = blocks.find((b) => new RegExp(`^(query|mutation) ${name}\\b`, "m").test(b));
  if (!block) throw new Error(`README.md has no graphql block with the operation ${name}`);
  return print(parse(block));
}

describe("README operations", () => {
  it.each([
    ["Profiles", "test/operations/frontend/readme-profiles.graphql"],
    ["SetMyProfile", "test/operations/frontend/readme-set-my-profile.graphql"],
  ])("the README's %s is the document in %s", (name, file) => {
    expect(print(parse(readFileSync(file, "utf8")))).toBe(readmeOperation(name));
  });
});
