import calculateSlot from "cluster-key-slot";

/** The Redis Cluster hash slot of `key` (of its `{hash tag}` when it has one). */
export function slotOf(key: string): number {
  return calculateSlot(key);
}

/**
 * `items` in groups whose keys share a hash slot, each group in the items' order, the groups in
 * order of first appearance. Not clustered: one group, since a single Redis runs a script over any
 * keys. For the profile cache, which runs one script per group where a single Redis takes one per batch.
 */
export function groupBySlot<T>(items: readonly T[], keyOf: (item: T) => string, clustered: boolean): T[][] {
  if (!clustered) return items.length > 0 ? [[...items]] : [];
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const slot = slotOf(keyOf(item));
    let group = groups.get(slot);
    if (!group) {
      group = [];
      groups.set(slot, group);
    }
    group.push(item);
  }
  return [...groups.values()];
}
