/**
 * Reads a V8 `.cpuprofile` (what `node --cpu-prof` writes) into self time per function and per
 * group (graphql-js, @apollo/server, fastify, undici, pino, prom-client, jose, our src/…, node
 * internals, GC, idle), so the bench can print where the service's main thread spends its time.
 *
 * Self time comes from the samples: each sample names the node (function) on top of the stack,
 * and `timeDeltas[i]` is the time since the previous sample. Shares are of all samples that were
 * not idle (`(idle)` is the event loop waiting); `(program)` is native code outside JS and
 * `(garbage collector)` is GC.
 */

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Frame {
  /** `function (file:line)`, or the group name for (program), (garbage collector). */
  name: string;
  group: string;
  /** Self time in ms and its share of the busy (not idle) time. */
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  /** Busy (not idle) time sampled, in ms, and the idle time. */
  busyMs: number;
  idleMs: number;
  /** Requests answered while the profile ran (when known): turns ms into µs per request. */
  requests: number | null;
  groups: { group: string; selfMs: number; share: number }[];
  top: Frame[];
}

/** The group a script URL belongs to: a package, our own `src/…` folder, or node's internals. */
export function groupOf(url: string, functionName: string): string {
  if (url === "") {
    if (functionName === "(garbage collector)") return "GC";
    if (functionName === "(program)") return "(program): native, outside JS";
    if (functionName === "(idle)") return "(idle)";
    return "native/builtin";
  }
  if (url.startsWith("node:")) return "node internals";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (pkg) {
    if (pkg === "graphql") return "graphql-js";
    if (pkg.startsWith("@opentelemetry/")) return "@opentelemetry/*";
    return pkg;
  }
  // Our own code: dist/src/<folder>/… (or test/… for the bench's own processes).
  const own = /\/dist\/(src|test)\/([^/]+)\//.exec(url) ?? /\/dist\/(src|test)\/()/.exec(url);
  if (own) return own[2] ? `${own[1]}/${own[2]}` : own[1]!;
  return "other";
}

function frameName(node: CpuProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (url === "") return functionName || "(anonymous)";
  const file = url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\//, "")
    .replace(/^.*\/dist\//, "");
  return `${functionName || "(anonymous)"} (${file}:${lineNumber + 1})`;
}

/**
 * Self time per function and per group of `profile`, the `top` functions first. `window` (µs on
 * the profile's clock, the system's monotonic clock) keeps only the samples taken inside it, so a
 * summary can leave out a process's start-up and warm-up.
 */
export function summarise(
  profile: CpuProfile,
  options: { top?: number; requests?: number; window?: { startUs: number; endUs: number } } = {},
): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const { startUs = -Infinity, endUs = Infinity } = options.window ?? {};
  // timeDeltas[i] is the gap before sample i; the sample's own span is the gap to the next one.
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < startUs || at >= endUs) continue;
    const span = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, span));
  }
  const frames = new Map<string, { group: string; us: number }>();
  const groups = new Map<string, number>();
  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const group = groupOf(node.callFrame.url, node.callFrame.functionName);
    if (group === "(idle)") {
      idleUs += us;
      continue;
    }
    busyUs += us;
    groups.set(group, (groups.get(group) ?? 0) + us);
    const name = group === "GC" || group.startsWith("(program)") ? group : frameName(node);
    const frame = frames.get(name) ?? { group, us: 0 };
    frame.us += us;
    frames.set(name, frame);
  }
  const share = (us: number) => (busyUs > 0 ? us / busyUs : 0);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    requests: options.requests ?? null,
    groups: [...groups]
      .map(([group, us]) => ({ group, selfMs: us / 1000, share: share(us) }))
      .sort((a, b) => b.selfMs - a.selfMs),
    top: [...frames]
      .map(([name, f]) => ({ name, group: f.group, selfMs: f.us / 1000, share: share(f.us) }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, options.top ?? 15),
  };
}
