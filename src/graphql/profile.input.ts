import { GraphQLJSON } from "graphql-scalars";
import { Field, InputType } from "type-graphql";
import { addStandardFields } from "./standard-fields.js";

/**
 * What `setProfile` writes: the twelve standard fields come from the tag registry
 * (src/profile/tags.ts), then `custom`. The input rules (src/profile/input.ts) read them by the
 * same names, as `ProfileChanges`.
 */
export class ProfileInput {
  declare custom?: Record<string, string | number>;
}

addStandardFields(ProfileInput, "input");
Field(() => GraphQLJSON, {
  nullable: true,
  description: 'Custom tags by key, e.g. {"Test": "hi", "Score": 42}. Integers beyond 2^53 go as decimal strings.',
})(ProfileInput.prototype, "custom");
InputType({
  description: "Fields to change; those left out keep their value. Checked in full before anything is written.",
})(ProfileInput);
