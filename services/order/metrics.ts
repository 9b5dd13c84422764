/**
 * The order service's business metrics: orders by status and orders created
 * (read from its list indexes at each scrape, so they survive restarts), and
 * how long the saga took from created to confirmed or failed (observed as
 * the order's status change is committed).
 */
import { Histogram } from "prom-client";
import type { Registry } from "prom-client";
import { ORDER_STATUSES } from "../contracts/api/orders.ts";
import type { DomainEvent } from "../contracts/events.ts";
import type { Logger } from "../kit/logger.ts";
import { stateMetric } from "../kit/metrics.ts";
import type { OrderStore } from "./store.ts";

/** Buckets of the saga's duration, in seconds: sub-second confirmation up to the reconciliation's minutes. */
export const SAGA_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** Registers orders by status and orders created, read from `orders` at each scrape. */
export function orderCountMetrics(registry: Registry, orders: OrderStore, logger: Logger): void {
  const onError = (err: unknown) => logger.warn({ err }, "could not read the order counts for /metrics");
  // Both metrics of a scrape share one read.
  let last: { at: number; counts: ReturnType<OrderStore["counts"]> } | undefined;
  const counts = () => {
    if (!last || Date.now() - last.at > 1000) last = { at: Date.now(), counts: orders.counts() };
    return last.counts;
  };
  stateMetric(registry, {
    name: "logistics_orders",
    help: "Orders in each status, from the service's own state (every replica says the same: aggregate with max)",
    labelNames: ["status"] as const,
    read: async () => {
      const { byStatus } = await counts();
      return ORDER_STATUSES.map((status) => [{ status }, byStatus[status]]);
    },
    onError,
  });
  stateMetric(registry, {
    name: "logistics_orders_created_total",
    help: "Orders created since the store was new, from the service's own state (aggregate with max)",
    kind: "counter",
    read: async () => [[{}, (await counts()).all]],
    onError,
  });
}

/** Registers the saga's duration; answers the observer of the store's committed events that feeds it. */
export function sagaMetrics(registry: Registry): (event: DomainEvent) => void {
  const saga = new Histogram({
    name: "logistics_saga_duration_seconds",
    help: "From an order's creation to the saga's end: confirmed, or failed",
    labelNames: ["outcome"] as const,
    buckets: SAGA_BUCKETS,
    registers: [registry],
  });
  for (const outcome of ["confirmed", "failed"]) saga.zero({ outcome });
  return (event) => {
    if (event.type !== "order.status_changed") return;
    const { status, order } = event.data;
    if (status !== "confirmed" && status !== "failed") return;
    const seconds = (Date.parse(order.updated_at) - Date.parse(order.created_at)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) saga.observe({ outcome: status }, seconds);
  };
}
