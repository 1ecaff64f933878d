import { describe, expect, it } from "vitest";
import { readServiceSettings, type Env } from "../../src/config.js";
import { createAuthenticator } from "../../src/server/auth.js";
import { useMainProcesses } from "../support/main.js";
import { JWT_SECRET, token } from "../support/service.js";

// A token signed with the same key for another service (a foreign aud or iss) must not open this
// one. Production requires AUTH_AUDIENCE, or the explicit, logged AUTH_ALLOW_ANY_AUDIENCE=true.

const AUDIENCE = "portrait-graph";
const ISSUER = "https://id.example.com";
const ENVIRONMENTS = {
  production: { NODE_ENV: "production", AUTH_JWT_SECRET: JWT_SECRET },
  development: { NODE_ENV: "development", AUTH_JWT_SECRET: JWT_SECRET },
} satisfies Record<string, Env>;
const AUDIENCE_SETTINGS = {
  "AUTH_AUDIENCE set": { AUTH_AUDIENCE: AUDIENCE },
  "AUTH_AUDIENCE unset": {},
  "AUTH_ALLOW_ANY_AUDIENCE=true": { AUTH_ALLOW_ANY_AUDIENCE: "true" },
} satisfies Record<string, Env>;
const TOKENS = {
  "aud matching": { audience: AUDIENCE },
  "aud foreign": { audience: "billing-service" },
  "aud missing": {},
};

/** Start-up's verdict on the settings, then, if it starts, the verdict on each token. */
async function verdicts(env: Env, tokens: Record<string, { audience?: string; issuer?: string }>) {
  let settings;
  try {
    settings = readServiceSettings(env);
  } catch (error) {
    return { start: `refused: ${(error as Error).message}` };
  }
  const authenticate = createAuthenticator({
    jwtSecret: settings.jwtSecret!,
    issuer: settings.issuer,
    audience: settings.audience,
  });
  const accepted: Record<string, string> = {};
  for (const [name, claims] of Object.entries(tokens)) {
    accepted[name] = await authenticate(`Bearer ${await token("zhang.wei", claims)}`).then(
      () => "accepted",
      (error: Error) => `401 ${error.message}`,
    );
  }
  return { start: "starts", warnings: settings.warnings, tokens: accepted };
}

const ACCEPTED_ALL = { "aud matching": "accepted", "aud foreign": "accepted", "aud missing": "accepted" };
const CHECKED = {
  "aud matching": "accepted",
  "aud foreign": "401 The token's aud claim is invalid",
  "aud missing": "401 The token has no aud claim",
};
const OPT_OUT_WARNING = expect.stringMatching(
  /^AUTH_ALLOW_ANY_AUDIENCE=true: tokens signed with the key are accepted whatever their aud/,
);
const EXPECTED = {
  production: {
    "AUTH_AUDIENCE set": { start: "starts", tokens: CHECKED },
    "AUTH_AUDIENCE unset": {
      start: expect.stringMatching(
        /^refused: AUTH_AUDIENCE="" is invalid: expected .* sets AUTH_ALLOW_ANY_AUDIENCE=true instead$/,
      ),
    },
    "AUTH_ALLOW_ANY_AUDIENCE=true": {
      start: "starts",
      tokens: ACCEPTED_ALL,
      warnings: expect.arrayContaining([OPT_OUT_WARNING]),
    },
  },
  development: {
    "AUTH_AUDIENCE set": { start: "starts", tokens: CHECKED },
    "AUTH_AUDIENCE unset": { start: "starts", tokens: ACCEPTED_ALL, warnings: [] },
    "AUTH_ALLOW_ANY_AUDIENCE=true": { start: "starts", tokens: ACCEPTED_ALL, warnings: [OPT_OUT_WARNING] },
  },
};

describe.each(Object.entries(ENVIRONMENTS))("%s", (environment, base) => {
  it.each(Object.entries(AUDIENCE_SETTINGS))("%s", async (setting, audienceEnv) => {
    const got = await verdicts({ ...base, ...audienceEnv }, TOKENS);
    expect(got).toMatchObject(
      EXPECTED[environment as keyof typeof EXPECTED][setting as keyof typeof AUDIENCE_SETTINGS],
    );
  });
});

describe("the issuer", () => {
  const ISSUER_TOKENS = {
    "iss matching": { audience: AUDIENCE, issuer: ISSUER },
    "iss foreign": { audience: AUDIENCE, issuer: "https://other-idp.example.com" },
    "iss missing": { audience: AUDIENCE },
  };
  it.each(Object.entries(ENVIRONMENTS))(
    "%s with AUTH_ISSUER set: only a token from that issuer is accepted",
    async (_name, base) => {
      expect(await verdicts({ ...base, AUTH_AUDIENCE: AUDIENCE, AUTH_ISSUER: ISSUER }, ISSUER_TOKENS)).toMatchObject({
        start: "starts",
        tokens: {
          "iss matching": "accepted",
          "iss foreign": "401 The token's iss claim is invalid",
          "iss missing": "401 The token has no iss claim",
        },
      });
    },
  );

  it("production without AUTH_ISSUER starts (the key names who signs) and says so; development says nothing", async () => {
    const production = await verdicts({ ...ENVIRONMENTS.production, AUTH_AUDIENCE: AUDIENCE }, ISSUER_TOKENS);
    expect(production).toMatchObject({ start: "starts", warnings: [expect.stringMatching(/^AUTH_ISSUER unset/)] });
    expect(Object.values(production.tokens!)).toEqual(["accepted", "accepted", "accepted"]);
    const development = await verdicts({ ...ENVIRONMENTS.development, AUTH_AUDIENCE: AUDIENCE }, ISSUER_TOKENS);
    expect(development.warnings).toEqual([]);
  });

  it("AUTH_AUDIENCE and AUTH_ALLOW_ANY_AUDIENCE=true together are refused: one or the other", () => {
    expect(() =>
      readServiceSettings({ ...ENVIRONMENTS.production, AUTH_AUDIENCE: AUDIENCE, AUTH_ALLOW_ANY_AUDIENCE: "true" }),
    ).toThrow(
      /AUTH_ALLOW_ANY_AUDIENCE="true" is invalid: expected either AUTH_AUDIENCE \(here "portrait-graph"\) or AUTH_ALLOW_ANY_AUDIENCE=true, not both/,
    );
  });
});

describe("npm start in production", () => {
  const startMain = useMainProcesses();
  const PRODUCTION = { NODE_ENV: "production", AUTH_JWT_SECRET: JWT_SECRET, LOG_LEVEL: "warn" };

  it("without AUTH_AUDIENCE refuses to start, naming the variable and the opt-out", async () => {
    const run = await startMain(PRODUCTION, undefined);
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toMatch(/AUTH_AUDIENCE="" is invalid: .*AUTH_ALLOW_ANY_AUDIENCE=true/);
    expect(run.output).not.toMatch(/ready at/);
  });

  it("with AUTH_ALLOW_ANY_AUDIENCE=true starts, and logs the opt-out as a warning", async () => {
    const run = await startMain({ ...PRODUCTION, AUTH_ALLOW_ANY_AUDIENCE: "true" }, /ready at/);
    expect(run.output).toMatch(
      /"level":"warn".*AUTH_ALLOW_ANY_AUDIENCE=true: tokens signed with the key are accepted whatever their aud/,
    );
  });

  it("with AUTH_AUDIENCE starts and serves only tokens for it", async () => {
    const run = await startMain({ ...PRODUCTION, AUTH_AUDIENCE: AUDIENCE }, /ready at \S+/);
    const url = /ready at (\S+)/.exec(run.output)![1]!;
    const ask = async (claims: { audience?: string }) =>
      (
        await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${await token("zhang.wei", claims)}` },
          body: JSON.stringify({ query: "{ me { id } }" }),
        })
      ).status;
    expect([await ask({ audience: AUDIENCE }), await ask({ audience: "billing-service" }), await ask({})]).toEqual([
      200, 401, 401,
    ]);
  });
});
