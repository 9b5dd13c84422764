/** The inventory service's app, built from its dependencies (real or fake). */
import type Koa from "koa";
import type { DomainEvent } from "../contracts/events.ts";
import { KeyLocks } from "../kit/coordination/locks.ts";
import { observeAnnouncements } from "../kit/ports/announced.ts";
import type { EventPublisher, OutboxStore } from "../kit/ports/ports.ts";
import { createServiceApp } from "../kit/service-app.ts";
import type { ServiceDeps } from "../kit/service-app.ts";
import { inventorySubscriptions } from "./events.ts";
import { lowStockMetrics, stockMetrics } from "./metrics.ts";
import { inventoryRoutes } from "./routes.ts";
import { Inventory } from "./store.ts";

export interface InventoryAppDeps extends ServiceDeps {
  store: OutboxStore;
  /** Says a reservation's decision again when an order asks twice. */
  publisher: EventPublisher;
  reservationTtlSeconds: number;
  currency: string;
  now?: () => Date;
}

export function buildApp(deps: InventoryAppDeps): Koa {
  const locks = new KeyLocks(deps.store);
  const store = observeAnnouncements<DomainEvent>(deps.store, lowStockMetrics(deps.metrics.registry));
  const inventory = new Inventory(store, locks, {
    reservationTtlSeconds: deps.reservationTtlSeconds,
    currency: deps.currency,
    now: deps.now ?? (() => new Date()),
    publisher: deps.publisher,
  });
  stockMetrics(deps.metrics.registry, inventory, deps.logger);
  return createServiceApp({
    ...deps,
    locks,
    subscriptions: inventorySubscriptions(inventory),
    routers: [inventoryRoutes(inventory)],
  });
}
