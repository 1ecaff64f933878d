/**
 * `npm run bench -- --profile` (or BENCH_PROFILE=1): the service under `node --cpu-prof` for two
 * workloads, each in a fresh process: the storm of (a), the one-profile read of the overhead
 * scenario (cache off), and the same read with the cache on over a hot set of 1,000 accounts. Only the samples of the measured window count (not start-up or warm-up):
 * the profile's clock is the system's monotonic clock, which this process maps to the load
 * generator's epoch-ms window. BENCH_PROFILE_BASE=<git rev> builds that revision in a `git
 * worktree` under a temp dir and profiles it too, in the same run, so before and after compare.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { summarise, type CpuProfile, type ProfileSummary } from "./cpuprofile.js";
import { stopChild } from "./processes.js";
import { storm, type Bench, type StormResult } from "./scenarios.js";

export interface ProfiledBuild {
  /** `current`, or the base revision. */
  label: string;
  commit: string;
  /** The directory holding the build's `dist/`. */
  root: string;
}

type Workload = "storm" | "one-profile" | "cached";

/** What each workload is, for the tables. */
const WORKLOADS: Record<Workload, string> = {
  storm: "storm of (a)",
  "one-profile": "one-profile read (cache off, no throttle or latency, 16 clients)",
  cached: "cached one-profile read (cache on, hot set of 1,000 accounts, 16 clients)",
};

export interface ProfiledRun {
  build: string;
  commit: string;
  workload: Workload;
  okPerSecond: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number | null;
  accountsPerCall: number;
  summary: ProfileSummary;
}

/** Monotonic µs (the clock of a .cpuprofile) at epoch ms `epochMs`. */
function monotonicUs(epochMs: number): number {
  const nowUs = Number(process.hrtime.bigint() / 1000n);
  return nowUs - (Date.now() - epochMs) * 1000;
}

const git = (cwd: string, args: string[]) => {
  const out = spawnSync("git", args, { cwd, encoding: "utf8" });
  if (out.status !== 0) throw new Error(`git ${args.join(" ")}: ${out.stderr}`);
  return out.stdout.trim();
};

/**
 * A build of `rev` in a git worktree under a temp dir, with node_modules linked when the lockfile
 * is the same as ours (else `npm ci`). `remove()` deletes the worktree.
 */
export async function buildRevision(root: string, rev: string): Promise<ProfiledBuild & { remove(): Promise<void> }> {
  const commit = git(root, ["rev-parse", "--short", rev]);
  const parent = await mkdtemp(join(os.tmpdir(), "portrait-bench-base-"));
  const dir = join(parent, "tree");
  git(root, ["worktree", "add", "--detach", dir, commit]);
  const remove = async () => {
    spawnSync("git", ["worktree", "remove", "--force", dir], { cwd: root });
    await rm(parent, { recursive: true, force: true });
  };
  try {
    const sameLock =
      spawnSync("git", ["diff", "--quiet", commit, "--", "package-lock.json"], { cwd: root }).status === 0;
    if (sameLock) await symlink(join(root, "node_modules"), join(dir, "node_modules"), "dir");
    else if (spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: dir, stdio: "ignore" }).status !== 0)
      throw new Error(`npm ci failed in the worktree of ${commit}`);
    const build = spawnSync("npm", ["run", "build"], { cwd: dir, encoding: "utf8" });
    if (build.status !== 0) throw new Error(`npm run build failed for ${commit}:\n${build.stdout}\n${build.stderr}`);
  } catch (error) {
    await remove();
    throw error;
  }
  return { label: `base ${commit}`, commit, root: dir, remove };
}

/** Each build × workload in a fresh process under --cpu-prof; the window's samples summarised. */
export async function profileBuilds(bench: Bench, builds: ProfiledBuild[]): Promise<ProfiledRun[]> {
  const { settings } = bench;
  const workloads: {
    workload: Workload;
    env: Record<string, string>;
    upstream: { rateLimit: number; latencyMs: number };
    overrides: { clients?: number; accounts?: number };
  }[] = [
    {
      workload: "storm" as const,
      env: { TIM_RATE_LIMIT: String(settings.rateLimit) },
      upstream: { rateLimit: settings.rateLimit, latencyMs: settings.latencyMs },
      overrides: {},
    },
    {
      workload: "one-profile" as const,
      env: { TIM_RATE_LIMIT: "0" },
      upstream: { rateLimit: 0, latencyMs: 0 },
      overrides: { clients: settings.overheadClients },
    },
    {
      workload: "cached" as const,
      env: { TIM_RATE_LIMIT: "0", PROFILE_CACHE_TTL_MS: "600000" },
      upstream: { rateLimit: 0, latencyMs: 0 },
      overrides: { clients: settings.overheadClients, accounts: 1000 },
    },
  ];
  const runs: ProfiledRun[] = [];
  for (const w of workloads) {
    for (const build of builds) {
      const dir = await mkdtemp(join(os.tmpdir(), "portrait-cpuprof-"));
      try {
        const [service] = await bench.startServices(1, w.env, {
          root: build.root,
          nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=1000"],
        });
        let result: StormResult;
        try {
          result = await storm(bench, "graphql-user", [service!], w.upstream, w.overrides);
        } finally {
          await stopChild(service!);
        }
        const file = (await readdir(dir)).find((f) => f.endsWith(".cpuprofile"));
        if (!file) throw new Error(`no .cpuprofile from ${build.label} (${w.workload}): did it exit cleanly?`);
        const profile = JSON.parse(await readFile(join(dir, file), "utf8")) as CpuProfile;
        const summary = summarise(profile, {
          top: 15,
          requests: result.ok,
          window: { startUs: monotonicUs(result.windowStart), endUs: monotonicUs(result.windowEnd) },
        });
        runs.push({
          build: build.label,
          commit: build.commit,
          workload: w.workload,
          okPerSecond: result.okPerSecond,
          p50: result.p50,
          p99: result.p99,
          cpuMsPerRequest: result.cpuMsPerRequest,
          accountsPerCall: result.upstream.accountsPerCall,
          summary,
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  }
  return runs;
}

const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const perRequest = (ms: number, run: ProfiledRun) =>
  run.summary.requests ? `${((ms * 1000) / run.summary.requests).toFixed(1)} µs` : "n/a";

/** Markdown: per workload, the groups and top frames of each build side by side. */
export function profileTables(runs: ProfiledRun[]): string {
  const out: string[] = [];
  for (const workload of Object.keys(WORKLOADS) as Workload[]) {
    const mine = runs.filter((r) => r.workload === workload);
    if (mine.length === 0) continue;
    out.push(`CPU profile, ${WORKLOADS[workload]}: main thread, measured window only`);
    for (const run of mine)
      out.push(
        `- ${run.build}: ${Math.round(run.okPerSecond).toLocaleString("en-US")} ok req/s, p50 ${run.p50.toFixed(1)} ms, p99 ${run.p99.toFixed(1)} ms, ` +
          `${run.cpuMsPerRequest?.toFixed(3) ?? "n/a"} CPU ms/req (process), ${perRequest(run.summary.busyMs, run)} sampled busy/req, ${run.accountsPerCall.toFixed(1)} accounts/call`,
      );
    const groups = new Set(mine.flatMap((r) => r.summary.groups.slice(0, 12).map((g) => g.group)));
    out.push("", `| group (self time) | ${mine.map((r) => `${r.build}: share, µs/req`).join(" | ")} |`);
    out.push(`| --- | ${mine.map(() => "---:").join(" | ")} |`);
    for (const group of groups)
      out.push(
        `| ${group} | ${mine
          .map((r) => {
            const g = r.summary.groups.find((x) => x.group === group);
            return g ? `${pct(g.share)}, ${perRequest(g.selfMs, r)}` : "—";
          })
          .join(" | ")} |`,
      );
    for (const run of mine) {
      out.push(
        "",
        `Top frames, ${run.build} (${workload}):`,
        "",
        "| self | µs/req | function | group |",
        "| ---: | ---: | --- | --- |",
      );
      for (const f of run.summary.top)
        out.push(`| ${pct(f.share)} | ${perRequest(f.selfMs, run)} | \`${f.name}\` | ${f.group} |`);
    }
    out.push("");
  }
  return out.join("\n");
}
