import { describe, expect, it } from "vitest";
import { EMULATOR_DEFAULTS, readEmulatorSettings, readServiceSettings } from "../../src/config.js";

describe("configuration from the environment", () => {
  it("with no Tencent settings, runs on the embedded emulator in development", () => {
    const s = readServiceSettings({});
    expect(s).toMatchObject({ port: 4000, embeddedEmulator: { rateLimit: 200, seed: true }, nodeEnv: "development", maxUsers: 1000, corsOrigins: ["*"] });
    expect(s.tencent).toMatchObject({ sdkAppId: EMULATOR_DEFAULTS.sdkAppId, region: "china", adminIdentifier: "administrator", rateLimit: 200 });
    expect(s.tencent.tags.custom.map((t) => t.key)).toEqual(["Test", "Score"]);
  });

  it("with credentials, talks to Tencent (or TIM_BASE_URL) and requires a token verifier", () => {
    const env = { TIM_SDKAPPID: "1400123456", TIM_SECRET_KEY: "k", TIM_REGION: "singapore" };
    expect(() => readServiceSettings(env)).toThrow(/AUTH_JWT_SECRET.*AUTH_JWT_SECRET or AUTH_JWKS_URL/);
    const s = readServiceSettings({ ...env, AUTH_JWT_SECRET: "short", TIM_BASE_URL: "http://127.0.0.1:9/x" });
    expect(s).toMatchObject({ embeddedEmulator: undefined, nodeEnv: "production", tencent: { sdkAppId: 1400123456, region: "singapore", baseUrl: "http://127.0.0.1:9/x" } });
    expect(s.tencent.tags.custom).toEqual([]);
    expect(s.warnings.join()).toMatch(/AUTH_JWT_SECRET is 5 bytes/);
    expect(s.warnings.join()).not.toContain("short");
  });

  it.each([
    [{ TIM_SDKAPPID: "1400000000" }, /TIM_SECRET_KEY=""/],
    [{ TIM_SDKAPPID: "abc", TIM_SECRET_KEY: "k", AUTH_JWT_SECRET: "x".repeat(32) }, /TIM_SDKAPPID="abc" is invalid: expected the numeric SDKAppID/],
    [{ TIM_REGION: "mars" }, /TIM_REGION="mars" is invalid: expected one of china, singapore/],
    [{ PORT: "70000" }, /PORT="70000" is invalid: expected an integer >= 0 and <= 65535/],
    [{ TIM_CUSTOM_TAGS: "Score:float" }, /TIM_CUSTOM_TAGS="Score:float" is invalid: .*type must be string or integer/],
    [{ MAX_USERS: "0" }, /MAX_USERS="0"/],
  ])("fails fast on %j, naming the variable, the value and what is expected", (env, message) => {
    expect(() => readServiceSettings(env)).toThrow(message);
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
    expect(s).toMatchObject({ port: 0, rateLimit: 50, latency: { min: 20, max: 60 }, faults: { "40006": 0.05, "70500": 0.01, "502": 0.01, drop: 0.01 }, seed: false, dataFile: "/tmp/x.json" });
    expect(readEmulatorSettings({ TIM_EMULATOR_LATENCY_MS: "30" }).latency).toEqual({ min: 30, max: 30 });
    expect(() => readEmulatorSettings({ TIM_EMULATOR_FAULTS: "502:0.7,drop:0.7" })).toThrow(/TIM_EMULATOR_FAULTS.*add up to 1.4/);
    expect(() => readEmulatorSettings({ TIM_EMULATOR_SEED: "maybe" })).toThrow(/TIM_EMULATOR_SEED="maybe"/);
  });
});
