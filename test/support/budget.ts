import type { CallBudget } from "../../src/upstream/budget.js";

/** A call budget without a rate that counts the slots drawn: `budget.drawn`. */
export function countingBudget(): CallBudget & { drawn: number } {
  const budget = {
    drawn: 0,
    mode: "local" as const,
    ratePerSecond: 0,
    acquire: () => (budget.drawn++, Promise.resolve(performance.now())),
    close: async () => {},
  };
  return budget;
}
