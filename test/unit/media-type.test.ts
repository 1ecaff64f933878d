import { describe, expect, it } from "vitest";
import { prefersGraphQLResponseJson } from "../../src/server/media-type.js";

// The status of a refused GraphQL request follows the answer's media type, which Apollo Server
// picks from Accept; this must pick the same one.
describe("prefersGraphQLResponseJson", () => {
  it.each([
    [undefined, false],
    ["", false],
    ["*/*", false], // curl
    ["application/json", false],
    ["application/*", false],
    ["application/json, application/graphql-response+json", false],
    ["application/graphql-response+json,application/json;q=0.9", true], // Apollo Client 4
    [
      "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed",
      true,
    ], // urql
    ["application/graphql-response+json, application/json", true], // graphql-request 7
    ["application/graphql-response+json", true],
    ["application/graphql-response+json;q=0.5, application/json", false],
    ["application/json;q=0, application/graphql-response+json;q=0.1", true],
    ["text/html, */*;q=0.8", false],
    ["application/graphql-response+json;q=0", false],
  ])("%j → %s", (accept, expected) => {
    expect(prefersGraphQLResponseJson(accept)).toBe(expected);
  });
});
