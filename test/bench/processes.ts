/**
 * The bench's child processes: each is started (optionally pinned to a CPU with `taskset`), waits
 * for its "ready" line, and is stopped with SIGTERM, then SIGKILL after a timeout. Every child is
 * tracked, so `stopAll()` in a `finally` leaves nothing running even when a scenario throws.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import os from "node:os";
import { request } from "undici";
import type { HotSetPlan } from "./hotset.load.js";
import type { ClosedLoopPlan, SinglePlan } from "./load.js";

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  /** The URL printed in the child's ready line. */
  readonly url: string;
  /** The child's last lines of output, for error messages. */
  output(): string;
}

/** Throw when any of `children` has exited: a run against a dead process measures nothing. */
export function assertAlive(children: readonly Child[]): void {
  for (const child of children) {
    const { exitCode, signalCode } = child.process;
    if (exitCode !== null || signalCode !== null) {
      throw new Error(
        `${child.name} (pid ${child.pid}) exited during the run (${signalCode ?? `code ${exitCode}`}); its results are void:\n${child.output()}`,
      );
    }
  }
}

export interface StartOptions {
  name: string;
  script: string;
  env: Record<string, string>;
  /** A CPU to pin the child to; undefined: no pinning. */
  cpu: number | undefined;
  /** Matches the ready line; group 1 is the child's URL. */
  ready: RegExp;
  /** Open an IPC channel (the load generator takes its plans over it). */
  ipc?: boolean;
  /** Flags for node before the script (`--cpu-prof`, …). */
  nodeArgs?: string[];
  timeoutMs?: number;
}

const running = new Set<Child>();

/** CPUs to pin to: the service gets one core, load and emulator the other. Undefined: no pinning. */
export function pinningPlan(): { service: number; driver: number } | undefined {
  if (process.env.BENCH_PIN === "0" || os.cpus().length < 2) return undefined;
  const probe = spawnSync("taskset", ["-c", "1", "true"]);
  return probe.status === 0 ? { service: 1, driver: 0 } : undefined;
}

/** Start a node script and resolve once it prints its ready line. */
export async function startChild(options: StartOptions): Promise<Child> {
  const node = [process.execPath, ...(options.nodeArgs ?? []), options.script];
  const [command, ...args] = options.cpu === undefined ? node : ["taskset", "-c", String(options.cpu), ...node];
  const child = spawn(command!, args, {
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["ignore", "pipe", "pipe", ...(options.ipc ? (["ipc"] as const) : [])],
  });
  let output = "";
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-8_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const entry: Child = { name: options.name, pid: child.pid!, process: child, url: "", output: () => output };
  running.add(entry);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!options.ready.test(output)) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${options.name} exited before it was ready:\n${output}`);
    if (Date.now() > deadline)
      throw new Error(`${options.name} was not ready within ${options.timeoutMs ?? 30_000} ms:\n${output}`);
    await nextOutput(child);
  }
  child.once("exit", (code, signal) => {
    if (running.has(entry))
      console.error(`! ${options.name} (pid ${entry.pid}) exited unexpectedly: ${signal ?? code}\n${output}`);
  });
  return Object.assign(entry, { url: options.ready.exec(output)![1]! });
}

/** Resolves on the child's next output or exit, or after 250 ms; leaves no listener behind. */
function nextOutput(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      child.stdout!.off("data", done);
      child.off("exit", done);
      resolve();
    };
    const timer = setTimeout(done, 250);
    child.stdout!.on("data", done);
    child.on("exit", done);
  });
}

/** SIGTERM, then SIGKILL if the child has not exited within `graceMs`. */
export async function stopChild(child: Child, graceMs = 5_000): Promise<void> {
  running.delete(child);
  const proc = child.process;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, "exit");
  proc.kill("SIGTERM");
  const timer = setTimeout(() => proc.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/** A channel to the load generator process: each plan gets its result back. */
export function loadChannel(child: Child) {
  let next = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.process.on("message", (message: { id: number; result?: unknown; error?: string }) => {
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.error) waiter?.reject(new Error(`load generator: ${message.error}`));
    else waiter?.resolve(message.result);
  });
  child.process.once("exit", () =>
    pending.forEach((w) => w.reject(new Error(`load generator exited:\n${child.output()}`))),
  );
  return <T>(plan: ClosedLoopPlan | SinglePlan | HotSetPlan) =>
    new Promise<T>((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve: (value) => resolve(value as T), reject });
      child.process.send({ id, plan });
    });
}

/** Poll the service's GET /readyz until it answers 200 (its first upstream check has passed). */
export async function waitReady(child: Child): Promise<void> {
  const url = new URL("/readyz", child.url);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await request(url).catch(() => undefined);
    const status = res?.statusCode;
    await res?.body.dump();
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${child.name} not ready (GET /readyz: ${status}):\n${child.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU time of a process (all its threads) so far, in ms, from /proc/<pid>/stat; undefined off Linux. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/**
 * Time the process's main thread (its event loop) spent runnable but waiting for a CPU, in ms,
 * from /proc/<pid>/schedstat: how much other work on the same core held it back.
 */
export function runQueueMs(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[1]) / 1e6;
  } catch {
    return undefined;
  }
}
