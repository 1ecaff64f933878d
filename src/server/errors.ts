import { ApolloServerErrorCode, unwrapResolverError } from "@apollo/server/errors";
import type { GraphQLFormattedError } from "graphql";
import { ErrorCode } from "../profile/errors.js";
import type { Logger } from "./logger.js";
import { OPERATION_NOT_TRUSTED } from "./trusted-documents.js";

const KNOWN_CODES = new Set<string>([...Object.values(ApolloServerErrorCode), ...Object.values(ErrorCode), "ACCOUNT_LIMIT_EXCEEDED", OPERATION_NOT_TRUSTED]);

/** Longest message a client sees: messages that quote what the caller sent stay short. */
const MAX_MESSAGE_CHARS = 300;

/**
 * Apollo's `formatError`: errors raised on purpose (a known `extensions.code`) pass through, with
 * their message cut to a short length; anything else is an internal error, logged here in full and
 * shown as `INTERNAL_SERVER_ERROR` outside development.
 */
export function formatErrors(logger: Logger, development: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (development || (typeof code === "string" && KNOWN_CODES.has(code))) {
      return formatted.message.length > MAX_MESSAGE_CHARS ? { ...formatted, message: `${[...formatted.message].slice(0, MAX_MESSAGE_CHARS).join("")}…` } : formatted;
    }
    const original = unwrapResolverError(error);
    logger.error({ err: original instanceof Error ? original : new Error(String(original)), path: formatted.path }, "internal error");
    return { message: "Internal server error", ...(formatted.path ? { path: formatted.path } : {}), extensions: { code: "INTERNAL_SERVER_ERROR" } };
  };
}
