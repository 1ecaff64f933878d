import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { ERROR_CODES, ErrorCode } from "../profile/error-codes.js";
import type { Logger } from "./logger.js";

// Apollo gives every error that has no code INTERNAL_SERVER_ERROR before formatError sees it, so
// that code says "no code": it is not one of the codes raised on purpose.
const KNOWN_CODES = new Set<string>(Object.keys(ERROR_CODES));
KNOWN_CODES.delete(ErrorCode.INTERNAL_SERVER_ERROR);

// The structural limits' own messages name the number, not the setting: say which variable raises it.
const LIMIT_VARIABLES: [RegExp, string][] = [
  [/Aliases limit of \d+ exceeded/, "MAX_ALIASES"],
  [/Query depth limit of \d+ exceeded/, "MAX_DEPTH"],
  [/Directives limit of \d+ exceeded/, "MAX_DIRECTIVES"],
  [/Document contains more that \d+ tokens/, "MAX_TOKENS"],
];

function nameTheLimit(message: string): string {
  for (const [pattern, variable] of LIMIT_VARIABLES) if (pattern.test(message)) return `${message} (${variable})`;
  return message;
}

/** Longest message a client sees: messages that quote what the caller sent stay short. */
const MAX_MESSAGE_CHARS = 300;

/**
 * Apollo's `formatError`: errors raised on purpose (a known `extensions.code`) and GraphQL's own
 * (graphql-js or Apollo refusing the request: they name only the schema and the request) pass
 * through, with their message cut to a short length; anything else is an internal error, logged
 * here in full and shown as `INTERNAL_SERVER_ERROR` outside development.
 */
export function formatErrors(logger: Logger, development: boolean) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const cause = rootCause(error);
    if (development || (typeof code === "string" && KNOWN_CODES.has(code)) || cause instanceof GraphQLError) {
      const message = nameTheLimit(formatted.message);
      return {
        ...formatted,
        message: message.length > MAX_MESSAGE_CHARS ? `${[...message].slice(0, MAX_MESSAGE_CHARS).join("")}…` : message,
      };
    }
    logger.error(
      { err: cause instanceof Error ? cause : new Error(String(cause)), path: formatted.path },
      "internal error",
    );
    return {
      message: "Internal server error",
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

// What was thrown in the first place: GraphQL wraps a resolver's throw (and its own errors met
// while completing a value) in a GraphQLError whose originalError is it.
function rootCause(error: unknown): unknown {
  let cause = error;
  while (cause instanceof GraphQLError && cause.originalError) cause = cause.originalError;
  return cause;
}
