import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, afterEach } from "vitest";

export interface MainRun {
  /** Everything it printed so far (stdout and stderr). */
  output: string;
  /** Its exit code when it exited before `until` showed; null while it runs. */
  exitCode: number | null;
}

/**
 * Start the built entry point (`dist/src/main.js`, as `npm start` runs it; `npm test` builds first)
 * with only `env` (and PATH, PORT=0, HOST=127.0.0.1); resolve once `until` shows in its output, or
 * once it exits. Every process started is killed after each test (`per: "test"`), or after the
 * file's tests (`per: "file"`, for one started in `beforeAll`).
 *
 *   const startMain = useMainProcesses();
 *   const { output } = await startMain({ NODE_ENV: "production", … }, /ready at/);
 */
export function useMainProcesses(
  per: "test" | "file" = "test",
): (env: Record<string, string>, until: RegExp | undefined) => Promise<MainRun> {
  const children: ChildProcess[] = [];
  (per === "test" ? afterEach : afterAll)(async () => {
    await Promise.all(
      children.splice(0).map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
          }),
      ),
    );
  });
  return (env, until) => {
    const child = spawn(process.execPath, ["dist/src/main.js"], {
      env: { PATH: process.env.PATH!, PORT: "0", HOST: "127.0.0.1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let output = "";
    return new Promise((resolve) => {
      const read = (d: Buffer) => {
        output += d.toString();
        if (until && until.test(output)) resolve({ output, exitCode: null });
      };
      child.stdout.on("data", read);
      child.stderr.on("data", read);
      // "close": after the process exited and its output was read to the end.
      child.once("close", (code) => resolve({ output, exitCode: code }));
    });
  };
}
