import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControl } from "@apollo/server/plugin/cacheControl";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";
import type { KeyValueCache } from "@apollo/utils.keyvaluecache";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { GraphQLSchema } from "graphql";
import type { Limits } from "../config.js";
import { DEFAULTS } from "../config/defaults.js";
import { explorerLandingPage } from "../explorer/landing-page.js";
import type { Context } from "../graphql/context.js";
import { fragmentNestingRule, MAX_FRAGMENT_NESTING, singleSchemaReadRule } from "../graphql/nesting.js";
import { formatErrors } from "./errors.js";
import type { Logger } from "./logger.js";
import type { Metrics } from "./metrics.js";
import { cacheTagsPlugin } from "./plugins/cache-tags.plugin.js";
import { stalePlugin } from "./plugins/stale.plugin.js";
import { observabilityPlugin } from "./plugins/observability.plugin.js";
import { operationPlugin } from "./plugins/operation.plugin.js";

export interface ApolloOptions {
  schema: GraphQLSchema;
  logger: Logger;
  metrics: Metrics;
  nodeEnv: string;
  limits: Limits;
  /** Apollo's APQ store (wrapped by trusted documents when they are on). */
  apqCache: KeyValueCache<string>;
  /** Runs first: the trusted-documents check. */
  trustedPlugin: ApolloServerPlugin<Context> | undefined;
  anonymousIntrospection: boolean;
  /** What the explorer opens with: the document, and headers (shown in development only). */
  landingPage: { document: string; headers: Record<string, string> | undefined };
  /** How long, and for whom, routers and CDNs may cache a read (CACHE_CONTROL_MAX_AGE, CACHE_CONTROL_SCOPE). */
  cacheControl: { maxAgeSeconds: number; scope: "PRIVATE" | "PUBLIC" };
  /** Tag answers with the accounts they hold, for a router's invalidation (ROUTER_INVALIDATION_URL set). */
  cacheTags: boolean;
}

/**
 * Apollo Server 5 with what runs per operation: parse and validation bounds (tokens, graphql-armor's
 * aliases, depth and directives, one schema read, fragment nesting), the trusted-documents check,
 * the operation plugin (auth, cost, profile plan), observability, the explorer, and the error
 * formatter. Started before it is returned.
 */
export async function createApollo(options: ApolloOptions): Promise<ApolloServer<Context>> {
  const { limits, logger, nodeEnv } = options;
  const development = nodeEnv === "development";
  const armor = protection(limits, development);

  const apollo = new ApolloServer<Context>({
    schema: options.schema,
    logger,
    nodeEnv,
    introspection: true,
    allowBatchedHttpRequests: true,
    // A request that carries Authorization was preflighted by the browser (bearer-only auth), so
    // GET queries from urql or graphql-request work, while a plain form post still cannot.
    csrfPrevention: { requestHeaders: ["x-apollo-operation-name", "apollo-require-preflight", "authorization"] },
    persistedQueries: { cache: options.apqCache, ttl: DEFAULTS.apq.ttlSeconds },
    parseOptions: { maxTokens: limits.maxTokens },
    // The nesting rule last: it keeps the others from recursing along a long fragment chain.
    validationRules: armor.validationRules,
    includeStacktraceInErrorResponses: development,
    // SIGTERM is main.ts's to handle (drain, then exit 0); Apollo's own handler would re-raise it.
    stopOnTerminationSignals: false,
    formatError: formatErrors(logger, development),
    plugins: [
      // Reads may be cached for CACHE_CONTROL_MAX_AGE (0: no-store), with the configured scope.
      ...cacheControlPlugins(options.cacheControl),
      ...(options.trustedPlugin ? [options.trustedPlugin] : []),
      ...(armor.plugins as ApolloServerPlugin<Context>[]),
      operationPlugin({
        maxAccountsPerOperation: limits.maxAccountsPerOperation,
        maxEntriesPerOperation: limits.maxEntriesPerOperation,
        maxEntitiesPerOperation: limits.maxEntitiesPerOperation,
        anonymousIntrospection: options.anonymousIntrospection,
      }),
      observabilityPlugin(logger, options.metrics),
      stalePlugin(),
      ...(options.cacheTags ? [cacheTagsPlugin()] : []),
      // Apollo Sandbox when its CDN loads, the bundled GraphiQL when it does not; the page holds no
      // secret (every operation needs a token), and only development pre-fills the demo token.
      explorerLandingPage({
        endpointPath: GRAPHQL_PATH,
        document: options.landingPage.document,
        headers: options.landingPage.headers,
        development,
        anonymousIntrospection: options.anonymousIntrospection,
      }),
    ],
  });
  await apollo.start();
  return apollo;
}

/**
 * The validation bounds every GraphQL operation meets, over HTTP or a subscription transport:
 * graphql-armor's aliases, depth and directives, one schema read, fragment nesting (last: it keeps
 * the others from recursing along a long fragment chain). Tokens are bounded while parsing.
 */
export function protection(limits: Limits, development: boolean) {
  const armor = new ApolloArmor({
    maxAliases: { n: limits.maxAliases, allowList: [] },
    maxDepth: { n: limits.maxDepth, flattenFragments: true, ignoreIntrospection: true },
    maxDirectives: { n: limits.maxDirectives },
    // Tokens are bounded by graphql-js itself while parsing (parseOptions): one parse, not two.
    maxTokens: { enabled: false },
    // The cost that matters here is accounts read, bounded by MAX_ACCOUNTS_PER_OPERATION.
    costLimit: { enabled: false },
    blockFieldSuggestion: { enabled: !development },
  }).protect();
  return {
    validationRules: [...armor.validationRules, singleSchemaReadRule, fragmentNestingRule(MAX_FRAGMENT_NESTING)],
    plugins: armor.plugins,
  };
}

/** Where GraphQL is served. */
export const GRAPHQL_PATH = "/graphql";

/**
 * Cache hints for routers and CDNs. With a max age (CACHE_CONTROL_MAX_AGE > 0), Apollo's
 * cache-control plugin computes each answer's policy from the schema's hints, at most `scope`.
 * With none (the default), no answer may be stored, whatever its fields: every answer says
 * `no-store`, which is what that plugin would compute, without it running a hook for every field
 * of every answer (Apollo wraps each resolver of the schema once any plugin asks for that hook).
 */
function cacheControlPlugins(cacheControl: ApolloOptions["cacheControl"]): ApolloServerPlugin<Context>[] {
  if (cacheControl.maxAgeSeconds > 0)
    return [
      ApolloServerPluginCacheControl({ defaultMaxAge: cacheControl.maxAgeSeconds }),
      cacheScopePlugin(cacheControl.scope),
    ];
  return [ApolloServerPluginCacheControlDisabled(), noStorePlugin()];
}

function noStorePlugin(): ApolloServerPlugin<Context> {
  const willSendResponse = async ({ response }: { response: { http: { headers: Map<string, string> } } }) => {
    // Apollo's own header (an APQ miss: `private, no-cache, must-revalidate`) is kept, as its plugin did.
    if (!response.http.headers.has("cache-control")) response.http.headers.set("cache-control", "no-store");
  };
  return { requestDidStart: async () => ({ willSendResponse }) };
}

/**
 * Every answer's cache scope at most `scope`: PRIVATE (the default) keeps a shared cache (a CDN, a
 * router's entity cache) from serving one caller's read to another, since reads need a token;
 * PUBLIC lets it, for deployments whose cache keys on the Authorization header or whose profiles
 * may be read by anyone who holds any token. `me` is PRIVATE whatever this says (schema.ts).
 */
function cacheScopePlugin(scope: "PRIVATE" | "PUBLIC"): ApolloServerPlugin<Context> {
  return {
    async requestDidStart() {
      return {
        async executionDidStart({ overallCachePolicy }) {
          if (scope === "PRIVATE") overallCachePolicy.restrict({ scope: "PRIVATE" });
        },
      };
    },
  };
}
