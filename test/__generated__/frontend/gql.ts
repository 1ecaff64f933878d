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
    "query ProfileDetails($id: ID!) {\n  user(id: $id) {\n    id\n    profile {\n      gender\n      level\n      location\n    }\n  }\n}": typeof types.ProfileDetailsDocument,
    "query ProfileNick($id: ID!) {\n  user(id: $id) {\n    id\n    profile {\n      nick\n    }\n  }\n}": typeof types.ProfileNickDocument,
    "query Profiles {\n  me {\n    id\n    profile {\n      nick\n      level\n      custom\n    }\n  }\n  users(ids: [\"zhang.wei\", \"li.na\", \"ghost\"]) {\n    id\n    profile {\n      nick\n      gender\n      birthday\n      location\n      selfSignature\n      allowType\n      language\n      image\n      msgSettings\n      adminForbidType\n      level\n      role\n      custom(keys: [\"Score\"])\n    }\n  }\n}": typeof types.ProfilesDocument,
    "mutation SetMyProfile {\n  setProfile(\n    input: {nick: \"张伟\", location: \"CN-Shenzhen\", custom: {Score: \"18446744073709551614\"}}\n  ) {\n    id\n    profile {\n      nick\n      location\n      custom\n    }\n  }\n}": typeof types.SetMyProfileDocument,
};
const documents: Documents = {
    "query ProfileDetails($id: ID!) {\n  user(id: $id) {\n    id\n    profile {\n      gender\n      level\n      location\n    }\n  }\n}": types.ProfileDetailsDocument,
    "query ProfileNick($id: ID!) {\n  user(id: $id) {\n    id\n    profile {\n      nick\n    }\n  }\n}": types.ProfileNickDocument,
    "query Profiles {\n  me {\n    id\n    profile {\n      nick\n      level\n      custom\n    }\n  }\n  users(ids: [\"zhang.wei\", \"li.na\", \"ghost\"]) {\n    id\n    profile {\n      nick\n      gender\n      birthday\n      location\n      selfSignature\n      allowType\n      language\n      image\n      msgSettings\n      adminForbidType\n      level\n      role\n      custom(keys: [\"Score\"])\n    }\n  }\n}": types.ProfilesDocument,
    "mutation SetMyProfile {\n  setProfile(\n    input: {nick: \"张伟\", location: \"CN-Shenzhen\", custom: {Score: \"18446744073709551614\"}}\n  ) {\n    id\n    profile {\n      nick\n      location\n      custom\n    }\n  }\n}": types.SetMyProfileDocument,
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
export function graphql(source: "query ProfileDetails($id: ID!) {\n  user(id: $id) {\n    id\n    profile {\n      gender\n      level\n      location\n    }\n  }\n}"): (typeof documents)["query ProfileDetails($id: ID!) {\n  user(id: $id) {\n    id\n    profile {\n      gender\n      level\n      location\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ProfileNick($id: ID!) {\n  user(id: $id) {\n    id\n    profile {\n      nick\n    }\n  }\n}"): (typeof documents)["query ProfileNick($id: ID!) {\n  user(id: $id) {\n    id\n    profile {\n      nick\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Profiles {\n  me {\n    id\n    profile {\n      nick\n      level\n      custom\n    }\n  }\n  users(ids: [\"zhang.wei\", \"li.na\", \"ghost\"]) {\n    id\n    profile {\n      nick\n      gender\n      birthday\n      location\n      selfSignature\n      allowType\n      language\n      image\n      msgSettings\n      adminForbidType\n      level\n      role\n      custom(keys: [\"Score\"])\n    }\n  }\n}"): (typeof documents)["query Profiles {\n  me {\n    id\n    profile {\n      nick\n      level\n      custom\n    }\n  }\n  users(ids: [\"zhang.wei\", \"li.na\", \"ghost\"]) {\n    id\n    profile {\n      nick\n      gender\n      birthday\n      location\n      selfSignature\n      allowType\n      language\n      image\n      msgSettings\n      adminForbidType\n      level\n      role\n      custom(keys: [\"Score\"])\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SetMyProfile {\n  setProfile(\n    input: {nick: \"张伟\", location: \"CN-Shenzhen\", custom: {Score: \"18446744073709551614\"}}\n  ) {\n    id\n    profile {\n      nick\n      location\n      custom\n    }\n  }\n}"): (typeof documents)["mutation SetMyProfile {\n  setProfile(\n    input: {nick: \"张伟\", location: \"CN-Shenzhen\", custom: {Score: \"18446744073709551614\"}}\n  ) {\n    id\n    profile {\n      nick\n      location\n      custom\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;