import { describe, expect, it } from "vitest";
import { groupOf, summarise, type CpuProfile } from "../../test/bench/cpuprofile.js";

const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 9, columnNumber: 0 });

/** A hand-made profile: every sample 1 ms apart, so self time is the number of samples on top. */
function profile(samples: number[]): CpuProfile {
  return {
    nodes: [
      { id: 1, callFrame: frame("(root)", ""), children: [2, 3, 4, 5, 6, 7] },
      { id: 2, callFrame: frame("execute", "file:///app/node_modules/graphql/execution/execute.js") },
      { id: 3, callFrame: frame("dispatch", "file:///app/node_modules/undici/lib/dispatcher.js") },
      { id: 4, callFrame: frame("load", "file:///app/dist/src/profile/dispatcher.js") },
      { id: 5, callFrame: frame("(idle)", "") },
      { id: 6, callFrame: frame("(garbage collector)", "") },
      { id: 7, callFrame: frame("emit", "node:events") },
    ],
    startTime: 0,
    endTime: samples.length * 1000,
    samples,
    timeDeltas: samples.map(() => 1000),
  };
}

describe("the .cpuprofile summariser", () => {
  it("counts each sample's span as its top frame's self time, and leaves idle out of the shares", () => {
    // 4 × graphql, 2 × undici, 1 × our dispatcher, 3 × idle, 1 × GC, 1 × node:events; the last
    // sample has no next one, so no span.
    const summary = summarise(profile([2, 2, 5, 3, 2, 4, 5, 3, 6, 2, 5, 7, 2]), { requests: 4 });
    expect(summary.idleMs).toBe(3);
    expect(summary.busyMs).toBe(9);
    expect(summary.groups.map((g) => [g.group, g.selfMs])).toEqual([
      ["graphql-js", 4],
      ["undici", 2],
      ["src/profile", 1],
      ["GC", 1],
      ["node internals", 1],
    ]);
    expect(summary.top[0]).toEqual({
      name: "execute (graphql/execution/execute.js:10)",
      group: "graphql-js",
      selfMs: 4,
      share: 4 / 9,
    });
    expect(summary.requests).toBe(4);
  });

  it("keeps only the `top` frames, largest first", () => {
    const summary = summarise(profile([3, 2, 2, 4, 4, 4, 7]), { top: 2 });
    expect(summary.top.map((f) => [f.name, f.selfMs])).toEqual([
      ["load (src/profile/dispatcher.js:10)", 3],
      ["execute (graphql/execution/execute.js:10)", 2],
    ]);
  });

  it("keeps only the samples inside the window (µs on the profile's clock)", () => {
    // Sample i is taken at (i + 1) ms: the window [3 ms, 6 ms) holds samples 2, 3 and 4.
    const summary = summarise(profile([2, 2, 3, 4, 4, 2, 2]), { window: { startUs: 3000, endUs: 6000 } });
    expect(summary.groups.map((g) => [g.group, g.selfMs])).toEqual([
      ["src/profile", 2],
      ["undici", 1],
    ]);
  });

  it("groups scripts by package, scope and our own folders", () => {
    expect(groupOf("file:///a/node_modules/@apollo/server/dist/x.js", "f")).toBe("@apollo/server");
    expect(groupOf("file:///a/node_modules/@opentelemetry/api/build/x.js", "f")).toBe("@opentelemetry/*");
    expect(groupOf("file:///a/node_modules/pino/lib/proto.js", "f")).toBe("pino");
    expect(groupOf("file:///a/dist/src/server/metrics.js", "f")).toBe("src/server");
    expect(groupOf("file:///a/dist/src/main.js", "f")).toBe("src");
    expect(groupOf("node:internal/streams/writable", "f")).toBe("node internals");
    expect(groupOf("", "(program)")).toBe("(program): native, outside JS");
  });
});
