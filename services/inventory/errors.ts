/** The problem types the inventory service answers with, besides the kit's. */
import type { ProblemType } from "../kit/http/problems.ts";

export const InventoryProblems = {
  itemNotFound: { type: "item-not-found", title: "Item not found", status: 404 },
  stockRule: { type: "stock-rule-broken", title: "The change would break a stock rule", status: 409 },
} as const satisfies Record<string, ProblemType>;
