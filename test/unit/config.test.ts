import { describe, expect, it } from "vitest";
import { EMULATOR_DEFAULTS, readEmulatorSettings, readServiceSettings } from "../../src/config.js";

describe("configuration from the environment", () => {
  it("with no Tencent settings, runs on the embedded emulator in development", () => {
    const s = readServiceSettings({});
    expect(s).toMatchObject({
      port: 4000,
      embeddedEmulator: { rateLimit: 200, seed: true },
      nodeEnv: "development",
      anonymousIntrospection: true,
      limits: { maxUsers: 1000, maxAccountsPerOperation: 1000, maxBatchOperations: 10, bodyLimitBytes: 1_048_576 },
      http: { corsOrigins: ["*"] },
    });
    expect(s.tencent).toMatchObject({
      sdkAppId: EMULATOR_DEFAULTS.sdkAppId,
      region: "china",
      adminIdentifier: "administrator",
      rateLimit: 200,
    });
    expect(s.tencent.tags.custom.map((t) => [t.key, t.type])).toEqual([
      ["Test", "string"],
      ["Score", "string"],
    ]);
  });

  it("with credentials, talks to Tencent (or TIM_BASE_URL) and requires a token verifier", () => {
    const env = { TIM_SDKAPPID: "1400123456", TIM_SECRET_KEY: "k", TIM_REGION: "singapore" };
    expect(() => readServiceSettings(env)).toThrow(/AUTH_JWT_SECRET.*AUTH_JWT_SECRET or AUTH_JWKS_URL/);
    const secret = "a-production-secret-of-at-least-32-bytes";
    // Production (the default with credentials) also requires the tokens' audience.
    expect(() => readServiceSettings({ ...env, AUTH_JWT_SECRET: secret })).toThrow(/AUTH_AUDIENCE=""/);
    const s = readServiceSettings({
      ...env,
      AUTH_JWT_SECRET: secret,
      AUTH_AUDIENCE: "portrait-graph",
      TIM_BASE_URL: "http://127.0.0.1:9/x",
    });
    expect(s).toMatchObject({
      embeddedEmulator: undefined,
      nodeEnv: "production",
      anonymousIntrospection: false,
      tencent: { sdkAppId: 1400123456, region: "singapore", baseUrl: "http://127.0.0.1:9/x" },
    });
    expect(s.tencent.tags.custom).toEqual([]);
    // Production without an iss check starts, with a warning naming the variable.
    expect(s.warnings.join()).toMatch(/AUTH_ISSUER unset/);
    expect(
      readServiceSettings({
        ...env,
        AUTH_JWT_SECRET: secret,
        AUTH_ISSUER: "https://id.example.com",
        AUTH_AUDIENCE: "portrait-graph",
      }).warnings,
    ).toEqual([]);
  });

  it("refuses to start in production with an HS256 secret under 32 bytes, without echoing it", () => {
    const env = { TIM_SDKAPPID: "1400123456", TIM_SECRET_KEY: "k", AUTH_JWT_SECRET: "sixsix" };
    expect(() => readServiceSettings(env)).toThrow(
      /AUTH_JWT_SECRET="<6 bytes>" is invalid: expected a secret of at least 32 bytes in production/,
    );
    expect(() => readServiceSettings(env)).not.toThrow(/sixsix/);
    // In development a short secret only warns.
    expect(readServiceSettings({ AUTH_JWT_SECRET: "sixsix" }).warnings.join()).toMatch(/AUTH_JWT_SECRET is 6 bytes/);
  });

  it("production on the emulator still needs a configured secret (no generated, printable tokens)", () => {
    expect(() => readServiceSettings({ NODE_ENV: "production" })).toThrow(/AUTH_JWT_SECRET/);
  });

  it.each([
    [{ TIM_SDKAPPID: "1400000000" }, /TIM_SECRET_KEY=""/],
    [
      { TIM_SDKAPPID: "abc", TIM_SECRET_KEY: "k", AUTH_JWT_SECRET: "x".repeat(32) },
      /TIM_SDKAPPID="abc" is invalid: expected the numeric SDKAppID/,
    ],
    [{ TIM_REGION: "mars" }, /TIM_REGION="mars" is invalid: expected one of china, singapore/],
    [{ PORT: "70000" }, /PORT="70000" is invalid: expected an integer >= 0 and <= 65535/],
    [
      { TIM_CUSTOM_TAGS: "Score:float" },
      /TIM_CUSTOM_TAGS="Score:float" is invalid: .*type must be string, integer or bytes/,
    ],
    [{ MAX_USERS: "0" }, /MAX_USERS="0"/],
    [{ MAX_ACCOUNTS_PER_OPERATION: "-1" }, /MAX_ACCOUNTS_PER_OPERATION="-1"/],
    [{ ANONYMOUS_INTROSPECTION: "perhaps" }, /ANONYMOUS_INTROSPECTION="perhaps" is invalid: expected true or false/],
    [{ LOG_LEVEL: "loud" }, /LOG_LEVEL="loud" is invalid: expected one of fatal, error/],
    [{ REQUEST_TIMEOUT_MS: "99" }, /REQUEST_TIMEOUT_MS="99" is invalid: expected an integer >= 100/],
    [{ REQUEST_TIMEOUT_MS: "30s" }, /REQUEST_TIMEOUT_MS="30s" is invalid: expected an integer >= 100/],
    [{ KEEP_ALIVE_TIMEOUT_MS: "0" }, /KEEP_ALIVE_TIMEOUT_MS="0" is invalid: expected an integer >= 100/],
    [{ KEEP_ALIVE_TIMEOUT_MS: "2500.5" }, /KEEP_ALIVE_TIMEOUT_MS="2500.5" is invalid: expected an integer >= 100/],
    [{ MAX_CONNECTIONS: "0" }, /MAX_CONNECTIONS="0" is invalid: expected an integer >= 1/],
    [{ MAX_CONNECTIONS: "many" }, /MAX_CONNECTIONS="many" is invalid: expected an integer >= 1/],
  ])("fails fast on %j, naming the variable, the value and what is expected", (env, message) => {
    expect(() => readServiceSettings(env)).toThrow(message);
  });

  it("reads the HTTP edge's timeouts and connection cap, each with its documented default", () => {
    expect(readServiceSettings({}).http).toMatchObject({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 5_000,
      maxConnections: 1024,
    });
    const s = readServiceSettings({
      HEADERS_TIMEOUT_MS: "2000",
      REQUEST_TIMEOUT_MS: " 1500 ",
      KEEP_ALIVE_TIMEOUT_MS: "750",
      MAX_CONNECTIONS: "5",
    });
    expect(s.http).toMatchObject({
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 1_500,
      keepAliveTimeoutMs: 750,
      maxConnections: 5,
    });
    // Empty means unset.
    expect(
      readServiceSettings({ REQUEST_TIMEOUT_MS: "", KEEP_ALIVE_TIMEOUT_MS: " ", MAX_CONNECTIONS: "" }).http,
    ).toMatchObject({ requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 1024 });
  });

  it("reads the emulator's behaviour variables", () => {
    const s = readEmulatorSettings({
      TIM_EMULATOR_PORT: "0",
      TIM_EMULATOR_RATE_LIMIT: "50",
      TIM_EMULATOR_LATENCY_MS: "20-60",
      TIM_EMULATOR_FAULTS: "40006:0.05,70500:0.01,502:0.01,drop:0.01",
      TIM_EMULATOR_SEED: "none",
      TIM_EMULATOR_DATA: "/tmp/x.json",
    });
    expect(s).toMatchObject({
      port: 0,
      rateLimit: 50,
      latency: { min: 20, max: 60 },
      faults: { "40006": 0.05, "70500": 0.01, "502": 0.01, drop: 0.01 },
      seed: false,
      dataFile: "/tmp/x.json",
    });
    expect(readEmulatorSettings({ TIM_EMULATOR_LATENCY_MS: "30" }).latency).toEqual({ min: 30, max: 30 });
    expect(() => readEmulatorSettings({ TIM_EMULATOR_FAULTS: "502:0.7,drop:0.7" })).toThrow(
      /TIM_EMULATOR_FAULTS.*add up to 1.4/,
    );
    expect(() => readEmulatorSettings({ TIM_EMULATOR_SEED: "maybe" })).toThrow(/TIM_EMULATOR_SEED="maybe"/);
  });
});

describe("the router's invalidation endpoint (ROUTER_INVALIDATION_*)", () => {
  it("is off unless its URL is set; with it, needs the shared key and names this subgraph as the compose file does", () => {
    expect(readServiceSettings({}).changes.routerInvalidation).toBeUndefined();
    const url = "http://router:4000/invalidation";
    expect(() => readServiceSettings({ ROUTER_INVALIDATION_URL: url })).toThrow(/ROUTER_INVALIDATION_KEY.*shared_key/);
    expect(() => readServiceSettings({ ROUTER_INVALIDATION_URL: "router:4000", ROUTER_INVALIDATION_KEY: "k" })).toThrow(
      /ROUTER_INVALIDATION_URL="router:4000" is invalid: expected an http\(s\) URL/,
    );
    const s = readServiceSettings({ ROUTER_INVALIDATION_URL: url, ROUTER_INVALIDATION_KEY: " key " });
    expect(s.changes.routerInvalidation).toEqual({ url: new URL(url), sharedKey: "key", subgraph: "portrait-graph" });
    expect(
      readServiceSettings({
        ROUTER_INVALIDATION_URL: url,
        ROUTER_INVALIDATION_KEY: "k",
        ROUTER_INVALIDATION_SUBGRAPH: "profiles",
      }).changes.routerInvalidation?.subgraph,
    ).toBe("profiles");
  });
});
