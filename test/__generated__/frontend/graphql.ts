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

export type ProfileDetailsQueryVariables = Exact<{
  id: string | number;
}>;


export type ProfileDetailsQuery = { __typename: 'Query', user: { __typename: 'User', id: string, profile: { __typename: 'Profile', gender: Gender | null, level: number | null, location: string | null } | null } | null };

export type ProfileNickQueryVariables = Exact<{
  id: string | number;
}>;


export type ProfileNickQuery = { __typename: 'Query', user: { __typename: 'User', id: string, profile: { __typename: 'Profile', nick: string | null } | null } | null };

export type ProfilesQueryVariables = Exact<{ [key: string]: never; }>;


export type ProfilesQuery = { __typename: 'Query', me: { __typename: 'User', id: string, profile: { __typename: 'Profile', nick: string | null, level: number | null, custom: Record<string, string | number> | null } | null } | null, users: Array<{ __typename: 'User', id: string, profile: { __typename: 'Profile', nick: string | null, gender: Gender | null, birthday: number | null, location: string | null, selfSignature: string | null, allowType: AllowType | null, language: number | null, image: string | null, msgSettings: number | null, adminForbidType: AdminForbidType | null, level: number | null, role: number | null, custom: Record<string, string | number> | null } | null } | null> };

export type SetMyProfileMutationVariables = Exact<{ [key: string]: never; }>;


export type SetMyProfileMutation = { __typename: 'Mutation', setProfile: { __typename: 'User', id: string, profile: { __typename: 'Profile', nick: string | null, location: string | null, custom: Record<string, string | number> | null } | null } };


export const ProfileDetailsDocument = {"__meta__":{"hash":"sha256:b2d590b4c87d0e301a115b5c46280f54a378b9da3ce9c8028d4f3904b6e5a0de"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ProfileDetails"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"profile"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"gender"}},{"kind":"Field","name":{"kind":"Name","value":"level"}},{"kind":"Field","name":{"kind":"Name","value":"location"}}]}}]}}]}}]} as unknown as DocumentNode<ProfileDetailsQuery, ProfileDetailsQueryVariables>;
export const ProfileNickDocument = {"__meta__":{"hash":"sha256:217b92341ad2f7a5e18245d928956066c63016a4fb9101f589b941d95aadcf08"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"ProfileNick"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"profile"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"nick"}}]}}]}}]}}]} as unknown as DocumentNode<ProfileNickQuery, ProfileNickQueryVariables>;
export const ProfilesDocument = {"__meta__":{"hash":"sha256:dbc075d7009557920264a9dc98184c00366377f130c12b00be495110035c4b69"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Profiles"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"me"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"profile"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"nick"}},{"kind":"Field","name":{"kind":"Name","value":"level"}},{"kind":"Field","name":{"kind":"Name","value":"custom"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"users"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"ids"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"zhang.wei","block":false},{"kind":"StringValue","value":"li.na","block":false},{"kind":"StringValue","value":"ghost","block":false}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"profile"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"nick"}},{"kind":"Field","name":{"kind":"Name","value":"gender"}},{"kind":"Field","name":{"kind":"Name","value":"birthday"}},{"kind":"Field","name":{"kind":"Name","value":"location"}},{"kind":"Field","name":{"kind":"Name","value":"selfSignature"}},{"kind":"Field","name":{"kind":"Name","value":"allowType"}},{"kind":"Field","name":{"kind":"Name","value":"language"}},{"kind":"Field","name":{"kind":"Name","value":"image"}},{"kind":"Field","name":{"kind":"Name","value":"msgSettings"}},{"kind":"Field","name":{"kind":"Name","value":"adminForbidType"}},{"kind":"Field","name":{"kind":"Name","value":"level"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"custom"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"keys"},"value":{"kind":"ListValue","values":[{"kind":"StringValue","value":"Score","block":false}]}}]}]}}]}}]}}]} as unknown as DocumentNode<ProfilesQuery, ProfilesQueryVariables>;
export const SetMyProfileDocument = {"__meta__":{"hash":"sha256:f34c9ab4c9f2a77a79f7f38195fac078497cae076f04e1fe5284f1ccf08c5097"},"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"SetMyProfile"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"setProfile"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"nick"},"value":{"kind":"StringValue","value":"张伟","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"location"},"value":{"kind":"StringValue","value":"CN-Shenzhen","block":false}},{"kind":"ObjectField","name":{"kind":"Name","value":"custom"},"value":{"kind":"ObjectValue","fields":[{"kind":"ObjectField","name":{"kind":"Name","value":"Score"},"value":{"kind":"StringValue","value":"18446744073709551614","block":false}}]}}]}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"profile"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"nick"}},{"kind":"Field","name":{"kind":"Name","value":"location"}},{"kind":"Field","name":{"kind":"Name","value":"custom"}}]}}]}}]}}]} as unknown as DocumentNode<SetMyProfileMutation, SetMyProfileMutationVariables>;