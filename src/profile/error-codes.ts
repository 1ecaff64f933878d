/**
 * Every `extensions.code` the service sends, each with what it means: the one vocabulary that
 * clients, the README's Errors table and the error formatter (which passes these through and masks
 * anything else) rely on. Apollo Server's own codes are listed as Apollo raises them (all but
 * PERSISTED_QUERY_NOT_SUPPORTED: persisted queries are always on); the rest are this service's. A
 * new code is added here, and nowhere else.
 */
export const ERROR_CODES = {
  // The caller
  BAD_USER_INPUT: "an argument breaks a rule (checked before any upstream call), or Tencent refused the input",
  UNAUTHENTICATED:
    "no token, or a token that is invalid, expired, for another issuer or audience, or whose sub is not a UserID",
  FORBIDDEN:
    "the caller may not read or write that profile or field (another user's, adminForbidType, Tencent 40007/40008)",
  OPERATION_NOT_TRUSTED: "a document outside the TRUSTED_DOCUMENTS manifest, in strict mode",
  ACCOUNT_LIMIT_EXCEEDED:
    "the operation (or HTTP batch) could read more distinct accounts than MAX_ACCOUNTS_PER_OPERATION",
  ENTRY_LIMIT_EXCEEDED: "the operation (or HTTP batch) asks for more entries than MAX_ENTRIES_PER_OPERATION",
  ENTITY_LIMIT_EXCEEDED:
    "the operation (or HTTP batch) holds more _entities representations than MAX_ENTITIES_PER_OPERATION",
  // Tencent
  ACCOUNT_NOT_FOUND: "Tencent does not know the account; only that account's profile is null",
  UPSTREAM_THROTTLED: "Tencent throttled the calls after retries, or the read queue is full or backed up",
  UPSTREAM_UNAVAILABLE:
    "Tencent failed or did not answer within the deadline, the circuit is open, or a write's outcome is unknown",
  UPSTREAM_ERROR: "Tencent refused the call for another reason (e.g. a wrong secret key)",
  // Live updates (profileChanged)
  CURSOR_EXPIRED:
    "the `after` cursor is older than the changes kept (or unknown): read the profiles afresh and subscribe without it",
  SUBSCRIBER_TOO_SLOW:
    "the subscriber fell too far behind and was dropped: resubscribe with the last cursor it received",
  SHUTTING_DOWN: "the replica is draining (SIGTERM): reconnect, to another replica",
  SUBSCRIPTION_LIMIT_EXCEEDED:
    "a WebSocket over MAX_SUBSCRIPTIONS_PER_CONNECTION operations, or a replica over MAX_SUBSCRIPTIONS: subscribe on another connection or replica",
  // Never sent: the outcome of an operation whose client left, in logs and metrics
  CLIENT_CLOSED_REQUEST: "the client disconnected before its answer; its reads that had not left were dropped",
  // Apollo Server (ApolloServerErrorCode)
  GRAPHQL_PARSE_FAILED: "the document does not parse, or has more than MAX_TOKENS tokens",
  GRAPHQL_VALIDATION_FAILED: "the document is invalid for the schema, or over MAX_ALIASES, MAX_DEPTH or MAX_DIRECTIVES",
  PERSISTED_QUERY_NOT_FOUND: "a persisted-query hash the service does not hold yet: send the document with it",
  OPERATION_RESOLUTION_FAILURE: "no operation, or not the named one, in the document",
  BAD_REQUEST:
    "the HTTP request is not a GraphQL request (missing query, CSRF check, bad JSON, a batch over MAX_BATCH_OPERATIONS)",
  INTERNAL_SERVER_ERROR: "an unexpected failure, logged in full and masked outside development",
  // The HTTP edge
  PAYLOAD_TOO_LARGE: "a body over BODY_LIMIT_BYTES (HTTP 413)",
  UNSUPPORTED_MEDIA_TYPE: "a body type other than JSON (HTTP 415)",
  NOT_FOUND: "a path the service does not serve (HTTP 404)",
  METHOD_NOT_ALLOWED: "a method other than GET, POST or OPTIONS on /graphql (HTTP 405, with Allow)",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes by name, for code that raises them: `ErrorCode.BAD_USER_INPUT`. */
export const ErrorCode = Object.fromEntries(Object.keys(ERROR_CODES).map((code) => [code, code])) as {
  readonly [Code in ErrorCode]: Code;
};

/**
 * The refusals of a well-formed GraphQL request (its document, its arguments, what it may cost, or
 * whether it may run): GraphQL over HTTP answers them 4xx only in `application/graphql-response+json`,
 * 200 with the errors in `application/json` (see src/server/media-type.ts). UNAUTHENTICATED stays
 * 401 (a bearer-token challenge, RFC 6750) and the HTTP edge's own codes keep their status.
 */
export const REQUEST_REFUSAL_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "BAD_USER_INPUT",
  "FORBIDDEN",
  "OPERATION_NOT_TRUSTED",
  "ACCOUNT_LIMIT_EXCEEDED",
  "ENTRY_LIMIT_EXCEEDED",
  "ENTITY_LIMIT_EXCEEDED",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "PERSISTED_QUERY_NOT_FOUND",
  "OPERATION_RESOLUTION_FAILURE",
]);

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}
