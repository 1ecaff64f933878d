import { GraphQLJSON } from "graphql-scalars";
import { Field, InputType } from "type-graphql";
import { AdminForbidType, AllowType, Gender } from "./enums.js";
import { UInt32 } from "./scalars.js";

@InputType({
  description: "Fields to change; those left out keep their value. Checked in full before anything is written.",
})
export class ProfileInput {
  @Field(() => String, { nullable: true, description: "At most 500 bytes of UTF-8." })
  nick?: string;

  @Field(() => Gender, { nullable: true })
  gender?: Gender;

  @Field(() => UInt32, { nullable: true, description: "YYYYMMDD, e.g. 19920314." })
  birthday?: number;

  @Field(() => String, { nullable: true, description: "At most 16 bytes of UTF-8." })
  location?: string;

  @Field(() => String, { nullable: true, description: "At most 500 bytes of UTF-8." })
  selfSignature?: string;

  @Field(() => AllowType, { nullable: true })
  allowType?: AllowType;

  @Field(() => UInt32, { nullable: true })
  language?: number;

  @Field(() => String, { nullable: true, description: "Avatar URL, at most 500 bytes." })
  image?: string;

  @Field(() => UInt32, { nullable: true })
  msgSettings?: number;

  @Field(() => AdminForbidType, { nullable: true, description: "Admins only (token scope profile:admin)." })
  adminForbidType?: AdminForbidType;

  @Field(() => UInt32, { nullable: true })
  level?: number;

  @Field(() => UInt32, { nullable: true })
  role?: number;

  @Field(() => GraphQLJSON, {
    nullable: true,
    description: 'Custom tags by key, e.g. {"Test": "hi", "Score": 42}. Integers beyond 2^53 go as decimal strings.',
  })
  custom?: Record<string, unknown>;
}
