import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createAuthenticator } from "../../src/server/auth.js";

const run = promisify(execFile);
const env = {
  PATH: process.env.PATH!,
  NODE_ENV: "production",
  AUTH_JWT_SECRET: "a-deployment-secret-of-more-than-32-bytes",
  AUTH_ISSUER: "https://issuer.example",
  AUTH_AUDIENCE: "portrait-graph",
  TIM_SDKAPPID: "1400000042",
  TIM_SECRET_KEY: "a-tencent-secret-key",
};

describe("node dist/src/token.js (a token for trying a deployment)", () => {
  it("signs with the deployment's secret, issuer and audience, which its authenticator accepts", async () => {
    const authenticate = createAuthenticator({
      jwtSecret: env.AUTH_JWT_SECRET,
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
    });
    const [user, admin] = await Promise.all([
      run(process.execPath, ["dist/src/token.js", "zhang.wei"], { env }),
      run(process.execPath, ["dist/src/token.js", "administrator", "--admin", "--ttl", "5m"], { env }),
    ]).then((runs) => runs.map((r) => r.stdout.trim()));
    expect(await authenticate(`Bearer ${user}`)).toMatchObject({ account: "zhang.wei", admin: false });
    expect(await authenticate(`Bearer ${admin}`)).toMatchObject({ account: "administrator", admin: true });
  });

  it("refuses without AUTH_JWT_SECRET (a JWKS deployment has nothing to sign with)", async () => {
    const { AUTH_JWT_SECRET: _secret, ...rest } = env;
    await expect(
      run(process.execPath, ["dist/src/token.js", "zhang.wei"], {
        env: { ...rest, AUTH_JWKS_URL: "https://idp.example/jwks" },
      }),
    ).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining("AUTH_JWT_SECRET") });
  });
});
