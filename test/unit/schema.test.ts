import { readFile } from "node:fs/promises";
import {
  getNullableType,
  isEnumType,
  isInputObjectType,
  isNonNullType,
  isObjectType,
  type GraphQLField,
  type GraphQLInputField,
  type GraphQLSchema,
} from "graphql";
import { beforeAll, describe, expect, it } from "vitest";
import { buildSubgraph } from "../../src/graphql/schema.js";
import { printSchemaFile } from "../../src/print-schema.js";
import { STANDARD_TAGS, type StandardTag } from "../../src/profile/tags.js";

describe("schema/schema.graphql", () => {
  it("is what the code emits (run `npm run schema` after changing src/graphql)", async () => {
    expect(await readFile("schema/schema.graphql", "utf8")).toBe(await printSchemaFile());
  });
});

/**
 * Every way the built schema's `Profile`, `ProfileInput` and enums can differ from the tag
 * registry, as readable lines: field lists, types, nullability, descriptions, and each enum's
 * names and Tencent wire values. Fields that are not standard tags (`custom`) are left out.
 */
function mismatches(schema: GraphQLSchema, registry: readonly StandardTag[]): string[] {
  const found: string[] = [];
  const profile = schema.getType("Profile");
  const input = schema.getType("ProfileInput");
  if (!isObjectType(profile) || !isInputObjectType(input)) return ["Profile or ProfileInput is missing"];
  for (const type of [profile, input]) {
    const fields: Record<string, GraphQLField<unknown, unknown> | GraphQLInputField> = type.getFields();
    const standard = Object.keys(fields).filter((name) => name !== "custom");
    const expected = registry.map((spec) => spec.field);
    if (standard.join() !== expected.join()) {
      found.push(`${type.name} has fields ${standard.join(", ")}; the registry lists ${expected.join(", ")}`);
    }
    for (const spec of registry) {
      const field = fields[spec.field];
      if (!field) continue;
      const at = `${type.name}.${spec.field}`;
      if (isNonNullType(field.type)) found.push(`${at} is non-null; a standard field is nullable`);
      const named = getNullableType(field.type);
      const want = spec.enum?.name ?? (spec.type === "uint32" ? "UInt32" : "String");
      if (!("name" in named) || named.name !== want) found.push(`${at} is ${String(named)}, expected ${want}`);
      if (!field.description?.startsWith(spec.tag)) found.push(`${at}'s description does not name ${spec.tag}`);
      if (spec.maxBytes !== undefined && !field.description?.includes(`${spec.maxBytes} bytes`)) {
        found.push(`${at}'s description does not give the ${spec.maxBytes}-byte limit`);
      }
    }
  }
  for (const spec of registry) {
    if (!spec.enum) continue;
    const type = schema.getType(spec.enum.name);
    if (!isEnumType(type)) {
      found.push(`enum ${spec.enum.name} is missing`);
      continue;
    }
    // GraphQL name → the value a resolver sees: Tencent's wire value.
    const actual = Object.fromEntries(type.getValues().map((v) => [v.name, v.value as unknown]));
    if (JSON.stringify(actual) !== JSON.stringify(spec.enum.values)) {
      found.push(
        `enum ${type.name} is ${JSON.stringify(actual)}, the registry has ${JSON.stringify(spec.enum.values)}`,
      );
    }
    if (spec.values?.join() !== Object.values(spec.enum.values).join()) {
      found.push(`${spec.field}'s value list differs from its enum`);
    }
  }
  return found;
}

describe("the GraphQL profile types and the tag registry (src/profile/tags.ts)", () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildSubgraph();
  });

  it("Profile, ProfileInput and the three enums match STANDARD_TAGS: names, types, limits, wire values", () => {
    expect(mismatches(schema, STANDARD_TAGS)).toEqual([]);
    expect(STANDARD_TAGS.filter((spec) => spec.enum).map((spec) => spec.enum!.name)).toEqual([
      "Gender",
      "AllowType",
      "AdminForbidType",
    ]);
  });

  it("an enum value reads and writes as Tencent's wire value", () => {
    const gender = schema.getType("Gender");
    if (!isEnumType(gender)) throw new Error("no Gender enum");
    expect(gender.serialize("Gender_Type_Female")).toBe("FEMALE");
    expect(gender.parseValue("MALE")).toBe("Gender_Type_Male");
    const forbid = schema.getType("AdminForbidType");
    if (!isEnumType(forbid)) throw new Error("no AdminForbidType enum");
    expect(forbid.parseValue("SEND_OUT")).toBe("AdminForbid_Type_SendOut");
  });

  it("a field the registry gains and the types lack is reported", () => {
    // As if Tencent added Tag_Profile_IM_Mood and only the registry were told.
    const mood = { kind: "standard", tag: "Tag_Profile_IM_Mood", field: "mood", type: "string", adminOnly: false };
    const grown = [...STANDARD_TAGS, mood as unknown as StandardTag];
    expect(mismatches(schema, grown)).toEqual([
      expect.stringMatching(/^Profile has fields .*, role; the registry lists .*, role, mood$/),
      expect.stringMatching(/^ProfileInput has fields .*, role; the registry lists .*, role, mood$/),
    ]);
  });

  it("an enum value the registry gains, or a wire value it changes, is reported", () => {
    const withValues = (spec: StandardTag, values: Record<string, string>): StandardTag => ({
      ...spec,
      enum: { ...spec.enum!, values },
      values: Object.values(values),
    });
    const changed = STANDARD_TAGS.map((spec) =>
      spec.field === "allowType"
        ? withValues(spec, { ...spec.enum!.values, FRIENDS_ONLY: "AllowType_Type_Friends" })
        : spec.field === "gender"
          ? withValues(spec, { ...spec.enum!.values, MALE: "Gender_Type_Man" })
          : spec,
    );
    expect(mismatches(schema, changed)).toEqual([
      expect.stringMatching(/^enum Gender is .*"MALE":"Gender_Type_Male".*the registry has .*"MALE":"Gender_Type_Man"/),
      expect.stringMatching(/^enum AllowType is .*, the registry has .*FRIENDS_ONLY/),
    ]);
  });

  it("a type that differs from the registry is reported", () => {
    const changed = STANDARD_TAGS.map((spec) =>
      spec.field === "level"
        ? { ...spec, type: "string" as const }
        : spec.field === "location"
          ? { ...spec, maxBytes: 32 }
          : spec,
    );
    expect(mismatches(schema, changed)).toEqual([
      "Profile.location's description does not give the 32-byte limit",
      "Profile.level is UInt32, expected String",
      "ProfileInput.location's description does not give the 32-byte limit",
      "ProfileInput.level is UInt32, expected String",
    ]);
  });
});
