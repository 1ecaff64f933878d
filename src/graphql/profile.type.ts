import { Field, ObjectType } from "type-graphql";
import { AdminForbidType, AllowType, Gender } from "./enums.js";
import { UInt32 } from "./scalars.js";

/** The twelve standard Tencent profile fields; `custom` is resolved by ProfileResolver. */
@ObjectType({ description: "A Tencent Cloud Chat user profile. A field never set is null.", simpleResolvers: true })
export class Profile {
  @Field(() => String, { nullable: true, description: "Tag_Profile_IM_Nick (≤ 500 bytes)" })
  nick?: string;

  @Field(() => Gender, { nullable: true, description: "Tag_Profile_IM_Gender" })
  gender?: Gender;

  @Field(() => UInt32, { nullable: true, description: "Tag_Profile_IM_BirthDay, YYYYMMDD as a number" })
  birthday?: number;

  @Field(() => String, { nullable: true, description: "Tag_Profile_IM_Location (≤ 16 bytes)" })
  location?: string;

  @Field(() => String, { nullable: true, description: "Tag_Profile_IM_SelfSignature (≤ 500 bytes)" })
  selfSignature?: string;

  @Field(() => AllowType, { nullable: true, description: "Tag_Profile_IM_AllowType" })
  allowType?: AllowType;

  @Field(() => UInt32, { nullable: true, description: "Tag_Profile_IM_Language (app-defined code)" })
  language?: number;

  @Field(() => String, { nullable: true, description: "Tag_Profile_IM_Image: avatar URL (≤ 500 bytes)" })
  image?: string;

  @Field(() => UInt32, { nullable: true, description: "Tag_Profile_IM_MsgSettings; bit 0 = do not receive messages" })
  msgSettings?: number;

  @Field(() => AdminForbidType, { nullable: true, description: "Tag_Profile_IM_AdminForbidType (set by admins only)" })
  adminForbidType?: AdminForbidType;

  @Field(() => UInt32, { nullable: true, description: "Tag_Profile_IM_Level (app-defined)" })
  level?: number;

  @Field(() => UInt32, { nullable: true, description: "Tag_Profile_IM_Role (app-defined)" })
  role?: number;
}
