/**
 * The inventory's business metrics: the stock available of each SKU (read
 * from its state at each scrape) and the low-stock alerts it raised. Both are
 * labelled by SKU, for at most SKU_SERIES SKUs, so that a large catalogue
 * cannot swamp Prometheus: the stock of the newest SKUs, and alerts of SKUs
 * beyond the first SKU_SERIES seen under sku="other".
 */
import { Counter } from "prom-client";
import type { Registry } from "prom-client";
import type { DomainEvent } from "../contracts/events.ts";
import type { Logger } from "../kit/logger.ts";
import { stateMetric } from "../kit/metrics.ts";
import { available } from "./domain.ts";
import type { Inventory } from "./store.ts";

/** The most SKUs that get series of their own. */
export const SKU_SERIES = 100;

/** Registers the stock gauges, read from `inventory` at each scrape. */
export function stockMetrics(registry: Registry, inventory: Inventory, logger: Logger): void {
  stateMetric(registry, {
    name: "logistics_stock_available",
    help: `Units available (on hand, not reserved) of each SKU, the newest ${SKU_SERIES}, from the service's own state (aggregate with max)`,
    labelNames: ["sku"] as const,
    read: async () => (await inventory.list(0, SKU_SERIES)).items.map((item) => [{ sku: item.sku }, available(item)]),
    onError: (err) => logger.warn({ err }, "could not read the stock levels for /metrics"),
  });
}

/** Registers the low-stock counter; answers the observer of the store's committed events that feeds it. */
export function lowStockMetrics(registry: Registry): (event: DomainEvent) => void {
  const lowStock = new Counter({
    name: "logistics_low_stock_events_total",
    help: `Low-stock alerts raised, by SKU (the first ${SKU_SERIES} SKUs alerted; later ones as "other")`,
    labelNames: ["sku"] as const,
    registers: [registry],
  });
  const labelled = new Set<string>();
  return (event) => {
    if (event.type !== "inventory.low_stock") return;
    const { sku } = event.data;
    if (!labelled.has(sku) && labelled.size < SKU_SERIES) labelled.add(sku);
    lowStock.inc({ sku: labelled.has(sku) ? sku : "other" });
  };
}
