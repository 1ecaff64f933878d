import { Kind, parse, type GraphQLSchema, type OperationDefinitionNode } from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { costOf, fragmentsOf } from "../../src/graphql/cost.js";
import { buildSubgraph } from "../../src/graphql/schema.js";
import { planProfiles } from "../../src/graphql/selection.js";
import { TagRegistry } from "../../src/profile/tags.js";

// What an operation costs and reads is worked out before it runs; @skip and @include decide, with
// the request's variables, what execution will include, so they decide the count and the tags too.

const registry = TagRegistry.fromSpec("Test:string,Score:integer");
let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await buildSubgraph();
});

function parts(source: string) {
  const document = parse(source);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  return { operation, fragments: fragmentsOf(document) };
}
const cost = (source: string, variables: Record<string, unknown> = {}) => {
  const { operation, fragments } = parts(source);
  const { accounts, entries } = costOf(operation, fragments, variables);
  return { accounts: accounts.size, entries };
};
const tags = (source: string, variables: Record<string, unknown> = {}) => {
  const { operation, fragments } = parts(source);
  return [...planProfiles(schema, operation, fragments, variables, registry).tags].sort();
};

const USERS = `query($ids: [ID!]!, $skip: Boolean!, $include: Boolean!) {
  me { id }
  skipped: users(ids: $ids) @skip(if: $skip) { id }
  included: users(ids: ["x", "y"]) @include(if: $include) { id }
}`;

describe("the account count (costOf, also the HTTP batch's)", () => {
  it("leaves out a users(ids) that @skip skips, and counts it when it does not", () => {
    const ids = ["a", "b", "c"];
    expect(cost(USERS, { ids, skip: true, include: false })).toEqual({ accounts: 1, entries: 1 });
    expect(cost(USERS, { ids, skip: false, include: false })).toEqual({ accounts: 4, entries: 4 });
    expect(cost(USERS, { ids, skip: true, include: true })).toEqual({ accounts: 3, entries: 3 });
  });

  it("follows the directives on inline fragments and fragment spreads, and a variable's default", () => {
    const source = `query($off: Boolean = true) {
      ... @include(if: $off) { a: user(id: "a") { id } }
      ...F @skip(if: $off)
    }
    fragment F on Query { users(ids: ["b", "c"]) { id } }`;
    expect(cost(source)).toEqual({ accounts: 1, entries: 1 });
    expect(cost(source, { off: false })).toEqual({ accounts: 2, entries: 2 });
  });

  it("counts a selection whose condition is not a boolean (execution refuses it anyway): never an under-count", () => {
    expect(cost('query($s: Boolean!) { users(ids: ["a"]) @skip(if: $s) { id } }', {})).toEqual({
      accounts: 1,
      entries: 1,
    });
  });
});

describe("the tag walk (planProfiles)", () => {
  const PROFILE = `query($withLocation: Boolean!, $noScore: Boolean!) {
    user(id: "a") { profile { nick location @include(if: $withLocation) custom(keys: ["Score"]) @skip(if: $noScore) } }
  }`;

  it("asks only for the profile fields execution will include", () => {
    expect(tags(PROFILE, { withLocation: false, noScore: true })).toEqual(["Tag_Profile_IM_Nick"]);
    expect(tags(PROFILE, { withLocation: true, noScore: false })).toEqual([
      "Tag_Profile_Custom_Score",
      "Tag_Profile_IM_Location",
      "Tag_Profile_IM_Nick",
    ]);
  });

  it("leaves out a skipped fragment spread, a skipped inline fragment and a skipped profile, in _entities too", () => {
    const source = `query($r: [_Any!]!, $v: Boolean!) {
      _entities(representations: $r) {
        ... on User { profile { nick ...Where @include(if: $v) } }
        ... on User @skip(if: true) { profile { level } }
      }
      me { profile @include(if: $v) { gender } }
    }
    fragment Where on Profile { location }`;
    const r = [{ __typename: "User", id: "a" }];
    expect(tags(source, { r, v: false })).toEqual(["Tag_Profile_IM_Nick"]);
    expect(tags(source, { r, v: true })).toEqual([
      "Tag_Profile_IM_Gender",
      "Tag_Profile_IM_Location",
      "Tag_Profile_IM_Nick",
    ]);
  });

  it("resolves custom(keys:) from a variable's default, as execution will", () => {
    const source = 'query($k: [String!] = ["Test"]) { me { profile { custom(keys: $k) } } }';
    expect(tags(source)).toEqual(["Tag_Profile_Custom_Test"]);
  });
});
