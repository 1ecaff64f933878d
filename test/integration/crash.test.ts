import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountStore } from "../../src/emulator/store.js";
import { parseJson } from "../../src/tencent/json.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "pg-crash-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// A writer process (the built store, as `npm test` builds first) that rewrites a large state as
// fast as it can; it is killed with SIGKILL while writing, over and over.
const WRITER = `
import { AccountStore } from "./dist/src/emulator/store.js";
const store = new AccountStore(process.argv[1]);
await store.load();
const big = "状态".repeat(200);
for (let i = 0; i < 2000; i++) store.apply("acct" + i, [["Tag_Profile_IM_Nick", big], ["Tag_Profile_Custom_Score", 18446744073709551615n]]);
// Each round changes one account and rewrites the whole file: most of a round is the write.
for (let round = 0; ; round++) {
  store.apply("acct" + (round % 2000), [["Tag_Profile_IM_Nick", big + round]]);
  await store.flush();
  process.stdout.write("r" + round + "\\n");
}
`;

describe("emulator state file under crashes", () => {
  it("after SIGKILL mid-write, the file always holds a complete earlier state", async () => {
    const file = join(dir, "state.json");
    for (let kill = 0; kill < 8; kill++) {
      const child = spawn(process.execPath, ["--input-type=module", "-e", WRITER, file], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      // Wait for a few completed rounds, then kill at an arbitrary point of the next write.
      await new Promise<void>((resolve) => {
        let rounds = 0;
        child.stdout.on("data", (d: Buffer) => {
          rounds += d.toString().split("\n").filter(Boolean).length;
          if (rounds >= 3) setTimeout(resolve, Math.random() * 15);
        });
      });
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));

      const doc = parseJson(await readFile(file, "utf8")) as {
        accounts: Record<string, { profile: Record<string, unknown> }>;
      };
      expect(Object.keys(doc.accounts)).toHaveLength(2000);
      expect(doc.accounts.acct1999!.profile.Tag_Profile_Custom_Score).toBe(18446744073709551615n);
      const store = new AccountStore(file);
      expect(await store.load()).toBe(true);
    }
    // Torn temp files may be left behind by the kills; they are never read.
    expect((await readdir(dir)).filter((f) => !f.endsWith(".tmp"))).toEqual(["state.json"]);
  }, 120_000);
});
