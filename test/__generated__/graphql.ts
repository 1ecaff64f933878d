/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
/** Tag_Profile_IM_AdminForbidType: whether an admin has stopped this user from sending */
export type AdminForbidType =
  | 'NONE'
  | 'SEND_OUT';

/** Tag_Profile_IM_AllowType: how friend requests are handled */
export type AllowType =
  | 'ALLOW_ANY'
  | 'DENY_ANY'
  | 'NEED_CONFIRM';

/** Tag_Profile_IM_Gender */
export type Gender =
  | 'FEMALE'
  | 'MALE'
  | 'UNKNOWN';

/** Fields to change; those left out keep their value. Checked in full before anything is written. */
export type ProfileInput = {
  /** Tag_Profile_IM_AdminForbidType: whether an admin has stopped this user from sending. Admins only (token scope profile:admin). */
  adminForbidType?: AdminForbidType | null | undefined;
  /** Tag_Profile_IM_AllowType: how friend requests are handled. */
  allowType?: AllowType | null | undefined;
  /** Tag_Profile_IM_BirthDay: YYYYMMDD as a number, e.g. 19920314. */
  birthday?: number | null | undefined;
  /** Custom tags by key, e.g. {"Test": "hi", "Score": 42}. Integers beyond 2^53 go as decimal strings. */
  custom?: Record<string, string | number> | null | undefined;
  /** Tag_Profile_IM_Gender. */
  gender?: Gender | null | undefined;
  /** Tag_Profile_IM_Image: avatar URL, at most 500 bytes of UTF-8. */
  image?: string | null | undefined;
  /** Tag_Profile_IM_Language: an app-defined code. */
  language?: number | null | undefined;
  /** Tag_Profile_IM_Level: app-defined. */
  level?: number | null | undefined;
  /** Tag_Profile_IM_Location: at most 16 bytes of UTF-8. */
  location?: string | null | undefined;
  /** Tag_Profile_IM_MsgSettings: bit 0 set = do not receive messages. */
  msgSettings?: number | null | undefined;
  /** Tag_Profile_IM_Nick: at most 500 bytes of UTF-8. */
  nick?: string | null | undefined;
  /** Tag_Profile_IM_Role: app-defined. */
  role?: number | null | undefined;
  /** Tag_Profile_IM_SelfSignature: at most 500 bytes of UTF-8. */
  selfSignature?: string | null | undefined;
};

export type MeQueryVariables = Exact<{ [key: string]: never; }>;


export type MeQuery = { me: { id: string, profile: { nick: string | null, custom: Record<string, string | number> | null } | null } | null };

export type SetProfileMutationVariables = Exact<{
  userId?: string | number | null | undefined;
  input: ProfileInput;
}>;


export type SetProfileMutation = { setProfile: { id: string, profile: { nick: string | null, gender: Gender | null, location: string | null, level: number | null, adminForbidType: AdminForbidType | null, custom: Record<string, string | number> | null } | null } };

export type UserProfileQueryVariables = Exact<{
  id: string | number;
}>;


export type UserProfileQuery = { user: { id: string, profile: { nick: string | null, gender: Gender | null, birthday: number | null, location: string | null, selfSignature: string | null, allowType: AllowType | null, language: number | null, image: string | null, msgSettings: number | null, adminForbidType: AdminForbidType | null, level: number | null, role: number | null, custom: Record<string, string | number> | null } | null } | null };

export type UsersCustomQueryVariables = Exact<{
  ids: Array<string | number> | string | number;
  keys?: Array<string> | string | null | undefined;
}>;


export type UsersCustomQuery = { users: Array<{ id: string, profile: { level: number | null, custom: Record<string, string | number> | null } | null } | null> };

export type UsersNicksQueryVariables = Exact<{
  ids: Array<string | number> | string | number;
}>;


export type UsersNicksQuery = { users: Array<{ id: string, profile: { nick: string | null } | null } | null> };


export const MeDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"profile"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nick"}},{"kind":"Field","name":{"kind":"Name","value":"custom"}}]}}]}}]}}]} as unknown as DocumentNode<MeQuery, MeQueryVariables>;
export const SetProfileDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetProfile"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"userId"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ProfileInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"setProfile"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"userId"},"value":{"kind":"Variable","name":{"kind":"Name","value":"userId"}}},{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"profile"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nick"}},{"kind":"Field","name":{"kind":"Name","value":"gender"}},{"kind":"Field","name":{"kind":"Name","value":"location"}},{"kind":"Field","name":{"kind":"Name","value":"level"}},{"kind":"Field","name":{"kind":"Name","value":"adminForbidType"}},{"kind":"Field","name":{"kind":"Name","value":"custom"}}]}}]}}]}}]} as unknown as DocumentNode<SetProfileMutation, SetProfileMutationVariables>;
export const UserProfileDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"UserProfile"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"user"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"profile"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nick"}},{"kind":"Field","name":{"kind":"Name","value":"gender"}},{"kind":"Field","name":{"kind":"Name","value":"birthday"}},{"kind":"Field","name":{"kind":"Name","value":"location"}},{"kind":"Field","name":{"kind":"Name","value":"selfSignature"}},{"kind":"Field","name":{"kind":"Name","value":"allowType"}},{"kind":"Field","name":{"kind":"Name","value":"language"}},{"kind":"Field","name":{"kind":"Name","value":"image"}},{"kind":"Field","name":{"kind":"Name","value":"msgSettings"}},{"kind":"Field","name":{"kind":"Name","value":"adminForbidType"}},{"kind":"Field","name":{"kind":"Name","value":"level"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"custom"}}]}}]}}]}}]} as unknown as DocumentNode<UserProfileQuery, UserProfileQueryVariables>;
export const UsersCustomDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"UsersCustom"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"ids"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"keys"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"users"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"ids"},"value":{"kind":"Variable","name":{"kind":"Name","value":"ids"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"profile"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"level"}},{"kind":"Field","name":{"kind":"Name","value":"custom"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"keys"},"value":{"kind":"Variable","name":{"kind":"Name","value":"keys"}}}]}]}}]}}]}}]} as unknown as DocumentNode<UsersCustomQuery, UsersCustomQueryVariables>;
export const UsersNicksDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"UsersNicks"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"ids"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"users"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"ids"},"value":{"kind":"Variable","name":{"kind":"Name","value":"ids"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"profile"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"nick"}}]}}]}}]}}]} as unknown as DocumentNode<UsersNicksQuery, UsersNicksQueryVariables>;