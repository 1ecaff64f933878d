import { spawn, type ChildProcess } from "node:child_process";
import TLSSigAPIv2 from "tls-sig-api-v2";
import { request } from "undici";
import { afterEach, describe, expect, it } from "vitest";

// These run the built entry points exactly as `npm start` / `npm run emulator` do (`npm test` builds first).
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGTERM");
});

function run(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH!, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up line from ${script}:\n${output}`)), 20_000);
    child.stdout.on("data", () => {
      if (/ready at|listening on/.test(output) && /Bearer|behaviour/.test(output)) {
        clearTimeout(timer);
        setTimeout(() => resolve({ child, output: () => output }), 50);
      }
    });
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
  });
}

describe("start-up", () => {
  it("npm start with no Tencent settings serves the demo accounts and prints dev tokens", async () => {
    const { output } = await run("dist/src/main.js", { PORT: "0", HOST: "127.0.0.1" });
    const url = /ready at (\S+)/.exec(output())![1]!;
    expect(output()).toMatch(/demo accounts: zhang\.wei, li\.na/);
    const user = /user\s+zhang\.wei:\s+Bearer (\S+)/.exec(output())![1]!;
    const admin = /admin administrator: Bearer (\S+)/.exec(output())![1]!;
    const post = (token: string, query: string) =>
      request(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      }).then((r) => r.body.json());
    expect(await post(user, "{ me { id profile { nick } } }")).toEqual({
      data: { me: { id: "zhang.wei", profile: { nick: "张伟" } } },
    });
    expect(await post(admin, '{ me { id } user(id: "li.na") { profile { nick } } }')).toMatchObject({
      data: { me: { id: "administrator" } },
    });
  });

  it("npm run emulator answers raw HTTP signed with Tencent's own library", async () => {
    const { output } = await run("dist/src/emulator/main.js", {
      TIM_EMULATOR_PORT: "0",
      TIM_SDKAPPID: "1400000009",
      TIM_SECRET_KEY: "acceptance-key",
    });
    const url = /listening on (\S+)/.exec(output())![1]!;
    const sig = new TLSSigAPIv2.Api(1400000009, "acceptance-key").genUserSig("administrator", 300);
    const res = await request(
      `${url}/v4/profile/portrait_get?sdkappid=1400000009&identifier=administrator&usersig=${sig}&random=7&contenttype=json`,
      {
        method: "POST",
        body: JSON.stringify({ To_Account: ["li.na"], TagList: ["Tag_Profile_IM_Nick"] }),
      },
    );
    expect(await res.body.json()).toMatchObject({
      ActionStatus: "OK",
      UserProfileItem: [{ To_Account: "li.na", ProfileItem: [{ Tag: "Tag_Profile_IM_Nick", Value: "李娜" }] }],
    });
  });
});
