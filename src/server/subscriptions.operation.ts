import {
  getOperationAST,
  GraphQLError,
  OperationTypeNode,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from "graphql";
import type { Limits } from "../config.js";
import type { Context, Viewer } from "../graphql/context.js";
import { ErrorCode } from "../profile/error-codes.js";
import { ProfileError } from "../profile/errors.js";
import { protection } from "./apollo.js";
import type { TrustedCheck } from "./trusted-documents.js";
import { prepareOperation, type OperationPolicy } from "./plugins/operation.plugin.js";

/** What a client sends to run an operation (graphql-ws's subscribe payload, graphql-sse's request params). */
export interface OperationParams {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
}

export interface LiveOperationsOptions {
  schema: GraphQLSchema;
  limits: Limits;
  development: boolean;
  policy: OperationPolicy;
  /** Builds one operation's context (request-context.ts's `operationContext`). */
  context: (viewer: Viewer | undefined, signal: AbortSignal) => Context;
  /** Apollo's formatError (errors.ts): known codes pass, anything else is masked and logged. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** The trusted-documents check, when TRUSTED_DOCUMENTS is set (throws to refuse). */
  trusted?: ((check: TrustedCheck) => void) | undefined;
}

/** An operation ready to run: graphql-js's arguments, and what ends its reads when it ends. */
export interface PreparedOperation {
  args: ExecutionArgs & { contextValue: Context };
  controller: AbortController;
}

/** The operation ended (completed, or its client left): reads it still waits for are dropped. */
export function endOperation(controller: AbortController | undefined): void {
  controller?.abort(
    new ProfileError("The subscription ended before its reads were answered", {
      code: ErrorCode.CLIENT_CLOSED_REQUEST,
    }),
  );
}

/**
 * The work an operation over the WebSocket or SSE transport goes through before it runs, the same
 * as over HTTP (apollo.ts and the operation plugin): parse within MAX_TOKENS, validate with
 * graphql-js's rules and the same bounds (aliases, depth, directives, one schema read, fragment
 * nesting), the trusted-documents check, then who may run it, its cost, and the profile tags it
 * reads. Only subscriptions are served: queries and mutations go to `POST /graphql`, where Apollo's
 * plugins (metrics, logs, cache hints, stale marking) see them.
 */
export function liveOperations(options: LiveOperationsOptions) {
  const { schema, limits, policy } = options;
  const rules = [...specifiedRules, ...protection(limits, options.development).validationRules];

  function prepare(viewer: Viewer | undefined, params: OperationParams): PreparedOperation | GraphQLError[] {
    if (typeof params.query !== "string") {
      return [refusal("The request has no query (a GraphQL document as a string)", ErrorCode.BAD_REQUEST)];
    }
    if (params.variables != null && (typeof params.variables !== "object" || Array.isArray(params.variables))) {
      return [refusal("variables must be an object", ErrorCode.BAD_REQUEST)];
    }
    const operationName = typeof params.operationName === "string" ? params.operationName : null;
    let document: DocumentNode;
    try {
      document = parse(params.query, { maxTokens: limits.maxTokens });
    } catch (error) {
      return [withCode(error, "GRAPHQL_PARSE_FAILED")];
    }
    const invalid = validate(schema, document, rules);
    if (invalid.length > 0) return invalid.map((error) => withCode(error, "GRAPHQL_VALIDATION_FAILED"));
    const operation = getOperationAST(document, operationName);
    if (!operation) {
      return [refusal("No operation, or not the named one, in the document", "OPERATION_RESOLUTION_FAILURE")];
    }
    if (operation.operation !== OperationTypeNode.SUBSCRIPTION) {
      return [
        refusal(
          `Only subscriptions are served here; send ${operation.operation === OperationTypeNode.MUTATION ? "mutations" : "queries"} by POST to /graphql`,
          ErrorCode.BAD_REQUEST,
        ),
      ];
    }
    const variables = (params.variables ?? undefined) as Record<string, unknown> | undefined;
    const controller = new AbortController();
    const ctx = options.context(viewer, controller.signal);
    try {
      options.trusted?.({ source: params.query, operation, operationName, viewer });
      prepareOperation(policy, ctx, { schema, document, operation, variables });
    } catch (error) {
      return [asGraphQLError(error)];
    }
    return {
      args: { schema, document, operationName, variableValues: variables, contextValue: ctx },
      controller,
    };
  }

  /** Errors as the client sees them: formatted as over HTTP, without the HTTP-only `http` extension. */
  function format(errors: readonly (GraphQLError | GraphQLFormattedError)[]): GraphQLFormattedError[] {
    return errors.map((error) => {
      // Already formatted (a refusal made before execution): as it is.
      if (!(error instanceof GraphQLError)) return error;
      const formatted = options.formatError(error.toJSON(), error);
      if (!formatted.extensions || !("http" in formatted.extensions)) return formatted;
      const { http: _http, ...extensions } = formatted.extensions;
      return { ...formatted, extensions };
    });
  }

  /** A result with its errors formatted (undefined when it has none: send it as it is). */
  function formatResult(result: ExecutionResult): ExecutionResult | undefined {
    if (!result.errors?.some((error) => error instanceof GraphQLError)) return undefined;
    return { ...result, errors: format(result.errors) as unknown as GraphQLError[] };
  }

  return { prepare, format, formatResult };
}

export type LiveOperations = ReturnType<typeof liveOperations>;

function refusal(message: string, code: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code } });
}

function withCode(error: unknown, code: string): GraphQLError {
  if (!(error instanceof GraphQLError)) return refusal(String(error), code);
  if (error.extensions.code !== undefined) return error;
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
}

/** What prepareOperation and the trusted check throw (GraphQLError or ProfileError), as a GraphQLError. */
export function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof ProfileError) return new GraphQLError(error.message, { extensions: { ...error.extensions } });
  return new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error as Error });
}
