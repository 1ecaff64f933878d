/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query Me {\n  me {\n    id\n    profile {\n      nick\n      custom\n    }\n  }\n}": typeof types.MeDocument,
    "mutation SetProfile($userId: ID, $input: ProfileInput!) {\n  setProfile(userId: $userId, input: $input) {\n    id\n    profile {\n      nick\n      gender\n      location\n      level\n      adminForbidType\n      custom\n    }\n  }\n}": typeof types.SetProfileDocument,
    "query UserProfile($id: ID!) {\n  user(id: $id) {\n    id\n    profile {\n      nick\n      gender\n      birthday\n      location\n      selfSignature\n      allowType\n      language\n      image\n      msgSettings\n      adminForbidType\n      level\n      role\n      custom\n    }\n  }\n}": typeof types.UserProfileDocument,
    "query UsersCustom($ids: [ID!]!, $keys: [String!]) {\n  users(ids: $ids) {\n    id\n    profile {\n      level\n      custom(keys: $keys)\n    }\n  }\n}": typeof types.UsersCustomDocument,
    "query UsersNicks($ids: [ID!]!) {\n  users(ids: $ids) {\n    id\n    profile {\n      nick\n    }\n  }\n}": typeof types.UsersNicksDocument,
};
const documents: Documents = {
    "query Me {\n  me {\n    id\n    profile {\n      nick\n      custom\n    }\n  }\n}": types.MeDocument,
    "mutation SetProfile($userId: ID, $input: ProfileInput!) {\n  setProfile(userId: $userId, input: $input) {\n    id\n    profile {\n      nick\n      gender\n      location\n      level\n      adminForbidType\n      custom\n    }\n  }\n}": types.SetProfileDocument,
    "query UserProfile($id: ID!) {\n  user(id: $id) {\n    id\n    profile {\n      nick\n      gender\n      birthday\n      location\n      selfSignature\n      allowType\n      language\n      image\n      msgSettings\n      adminForbidType\n      level\n      role\n      custom\n    }\n  }\n}": types.UserProfileDocument,
    "query UsersCustom($ids: [ID!]!, $keys: [String!]) {\n  users(ids: $ids) {\n    id\n    profile {\n      level\n      custom(keys: $keys)\n    }\n  }\n}": types.UsersCustomDocument,
    "query UsersNicks($ids: [ID!]!) {\n  users(ids: $ids) {\n    id\n    profile {\n      nick\n    }\n  }\n}": types.UsersNicksDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    profile {\n      nick\n      custom\n    }\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    profile {\n      nick\n      custom\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetProfile($userId: ID, $input: ProfileInput!) {\n  setProfile(userId: $userId, input: $input) {\n    id\n    profile {\n      nick\n      gender\n      location\n      level\n      adminForbidType\n      custom\n    }\n  }\n}"): (typeof documents)["mutation SetProfile($userId: ID, $input: ProfileInput!) {\n  setProfile(userId: $userId, input: $input) {\n    id\n    profile {\n      nick\n      gender\n      location\n      level\n      adminForbidType\n      custom\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query UserProfile($id: ID!) {\n  user(id: $id) {\n    id\n    profile {\n      nick\n      gender\n      birthday\n      location\n      selfSignature\n      allowType\n      language\n      image\n      msgSettings\n      adminForbidType\n      level\n      role\n      custom\n    }\n  }\n}"): (typeof documents)["query UserProfile($id: ID!) {\n  user(id: $id) {\n    id\n    profile {\n      nick\n      gender\n      birthday\n      location\n      selfSignature\n      allowType\n      language\n      image\n      msgSettings\n      adminForbidType\n      level\n      role\n      custom\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query UsersCustom($ids: [ID!]!, $keys: [String!]) {\n  users(ids: $ids) {\n    id\n    profile {\n      level\n      custom(keys: $keys)\n    }\n  }\n}"): (typeof documents)["query UsersCustom($ids: [ID!]!, $keys: [String!]) {\n  users(ids: $ids) {\n    id\n    profile {\n      level\n      custom(keys: $keys)\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query UsersNicks($ids: [ID!]!) {\n  users(ids: $ids) {\n    id\n    profile {\n      nick\n    }\n  }\n}"): (typeof documents)["query UsersNicks($ids: [ID!]!) {\n  users(ids: $ids) {\n    id\n    profile {\n      nick\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;