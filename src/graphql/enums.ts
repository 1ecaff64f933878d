import { registerEnumType } from "type-graphql";

// GraphQL names on the left, Tencent's wire values on the right: resolvers pass Tencent values through.
export enum Gender {
  UNKNOWN = "Gender_Type_Unknown",
  FEMALE = "Gender_Type_Female",
  MALE = "Gender_Type_Male",
}

export enum AllowType {
  NEED_CONFIRM = "AllowType_Type_NeedConfirm",
  ALLOW_ANY = "AllowType_Type_AllowAny",
  DENY_ANY = "AllowType_Type_DenyAny",
}

export enum AdminForbidType {
  NONE = "AdminForbid_Type_None",
  SEND_OUT = "AdminForbid_Type_SendOut",
}

registerEnumType(Gender, { name: "Gender", description: "Tag_Profile_IM_Gender" });
registerEnumType(AllowType, {
  name: "AllowType",
  description: "Tag_Profile_IM_AllowType: how friend requests are handled",
});
registerEnumType(AdminForbidType, {
  name: "AdminForbidType",
  description: "Tag_Profile_IM_AdminForbidType: whether an admin has stopped this user from sending",
});
