import { GraphQLError, GraphQLScalarType, Kind } from "graphql";
import { UINT32_MAX } from "../profile/tags.js";

function toUInt32(value: unknown): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= UINT32_MAX) return value;
  throw new GraphQLError(`UInt32 must be an integer from 0 to ${UINT32_MAX}, got ${JSON.stringify(value)}`, {
    extensions: { code: "BAD_USER_INPUT" },
  });
}

/** Tencent's uint32 fields (Level, BirthDay…): GraphQL `Int` stops at 2^31-1, 3000000000 is a valid Level. */
export const UInt32 = new GraphQLScalarType<number, number>({
  name: "UInt32",
  description: "An unsigned 32-bit integer, 0 to 4294967295.",
  specifiedByURL: "https://en.wikipedia.org/wiki/32-bit_computing#Range_for_storing_integers",
  serialize: toUInt32,
  parseValue: toUInt32,
  parseLiteral(ast) {
    if (ast.kind !== Kind.INT) {
      throw new GraphQLError(`UInt32 must be an integer literal, got ${ast.kind}`, {
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
    return toUInt32(Number(ast.value));
  },
});
