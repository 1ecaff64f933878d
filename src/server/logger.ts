import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

/**
 * JSON logs. Whatever a log line carries, these never appear in it: bearer tokens, the Tencent
 * secret key, UserSigs (in upstream URLs), the JWT secret. Paths that may hold them are redacted,
 * and strings are scrubbed of the shapes these secrets take.
 *
 *   const logger = createLogger({ level: "info", secrets: [secretKey, jwtSecret] });
 */
export function createLogger(
  options: { level?: string; secrets?: readonly (string | undefined)[]; destination?: DestinationStream } = {},
): Logger {
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === "string" && s.length >= 4);
  const scrub = (text: string): string => {
    let out = text.replace(BEARER, "Bearer [redacted]").replace(USERSIG_PARAM, "$1[redacted]");
    for (const secret of secrets) out = out.split(secret).join("[redacted]");
    return out;
  };
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "portrait-graph" },
      redact: {
        paths: [
          "authorization",
          "headers.authorization",
          "req.headers.authorization",
          "secretKey",
          "jwtSecret",
          "usersig",
          "*.authorization",
          "*.secretKey",
        ],
        censor: "[redacted]",
      },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) =>
              typeof arg === "string" ? scrub(arg) : arg instanceof Error ? scrubError(arg, scrub) : arg,
            ) as Parameters<typeof method>,
          );
        },
      },
      serializers: { err: (error: Error) => scrubError(error, scrub) },
    },
    options.destination,
  );
}

const BEARER = /Bearer\s+[A-Za-z0-9\-_.~+/]+=*/gi;
const USERSIG_PARAM = /(usersig=)[^&\s"]+/gi;

function scrubError(error: Error, scrub: (text: string) => string): { type: string; message: string; stack?: string } {
  return { type: error.name, message: scrub(error.message), ...(error.stack ? { stack: scrub(error.stack) } : {}) };
}
