/**
 * What grew between two V8 heap snapshots, by kind of object: counts and self sizes per
 * constructor name (strings, arrays, code and closures grouped), largest change first.
 *
 *   node --heapsnapshot-signal=SIGUSR2 dist/src/main.js   # kill -USR2 <pid> after the warm-up, again a minute later
 *   node dist/test/soak/heap-diff.js Heap.A.heapsnapshot Heap.B.heapsnapshot [rows]
 *
 * A snapshot holds only what is reachable, so the difference is what the process retains, not
 * garbage V8 has yet to collect. Writing one pauses the process for seconds and raises its RSS by
 * about the heap's size: do not read RSS right after one.
 */
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

interface Group {
  count: number;
  size: number;
}

export function groups(snapshot: Snapshot): Map<string, Group> {
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [type, name, size] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [number, number, number];
  const out = new Map<string, Group>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const kind = types[snapshot.nodes[i + type]!]!;
    const label = labelOf(kind, snapshot.strings[snapshot.nodes[i + name]!]!);
    const group = out.get(label) ?? { count: 0, size: 0 };
    group.count++;
    group.size += snapshot.nodes[i + size]!;
    out.set(label, group);
  }
  return out;
}

function labelOf(kind: string, name: string): string {
  if (kind === "string" || kind === "concatenated string" || kind === "sliced string") return "(string)";
  if (kind === "code" || kind === "closure") return `(${kind})`;
  if (kind === "object") return name.slice(0, 60);
  return `(${kind}) ${name.slice(0, 40)}`;
}

function main(): void {
  const [a, b, rows = "30"] = process.argv.slice(2);
  if (!a || !b) throw new Error("usage: heap-diff.js before.heapsnapshot after.heapsnapshot [rows]");
  const read = (file: string) => groups(JSON.parse(readFileSync(file, "utf8")) as Snapshot);
  const [before, after] = [read(a), read(b)];
  const total = (m: Map<string, Group>) => [...m.values()].reduce((sum, g) => sum + g.size, 0);
  const mib = (bytes: number) => (bytes / 1048576).toFixed(2);
  console.log(`self size: ${mib(total(before))} MiB → ${mib(total(after))} MiB`);
  console.log("Δ MiB\tΔ count\tcount before\tcount after\tMiB after\tkind");
  const none = { count: 0, size: 0 };
  const diff = [...new Set([...before.keys(), ...after.keys()])].map((label) => {
    const [x, y] = [before.get(label) ?? none, after.get(label) ?? none];
    return { label, x, y, delta: y.size - x.size };
  });
  diff.sort((p, q) => Math.abs(q.delta) - Math.abs(p.delta));
  for (const { label, x, y, delta } of diff.slice(0, Number(rows)))
    console.log(`${mib(delta)}\t${y.count - x.count}\t${x.count}\t${y.count}\t${mib(y.size)}\t${label}`);
}

if (process.argv[1]?.endsWith("heap-diff.js")) main();
