/** The order service's app, built from its dependencies (real or fake). */
import type Koa from "koa";
import type { DomainEvent } from "../contracts/events.ts";
import { KeyLocks } from "../kit/coordination/locks.ts";
import { observeAnnouncements } from "../kit/ports/announced.ts";
import type { EventPublisher, OutboxStore } from "../kit/ports/ports.ts";
import { createServiceApp } from "../kit/service-app.ts";
import type { ServiceDeps } from "../kit/service-app.ts";
import { orderSubscriptions } from "./events.ts";
import { orderCountMetrics, sagaMetrics } from "./metrics.ts";
import { expiryRoutes } from "./expiry.ts";
import { Reconciler, reconciliationRoutes } from "./reconciliation.ts";
import { orderRoutes } from "./routes.ts";
import type { ShipmentCanceller } from "./shipments.ts";
import { OrderStore } from "./store.ts";

export interface OrderAppDeps extends ServiceDeps {
  store: OutboxStore;
  /** Announces stuck orders again (reconciliation.ts). */
  publisher: EventPublisher;
  shipments: ShipmentCanceller;
  /** How long an order may wait for the saga's answer before it is announced again. */
  stuckAfterSeconds: number;
  now?: () => Date;
}

export function buildApp(deps: OrderAppDeps): Koa {
  const locks = new KeyLocks(deps.store);
  const orders = new OrderStore(observeAnnouncements<DomainEvent>(deps.store, sagaMetrics(deps.metrics.registry)), locks);
  orderCountMetrics(deps.metrics.registry, orders, deps.logger);
  const now = deps.now ?? (() => new Date());
  const reconciler = new Reconciler({ orders, publisher: deps.publisher, stuckAfterMs: deps.stuckAfterSeconds * 1000, registry: deps.metrics.registry });
  return createServiceApp({
    ...deps,
    locks,
    subscriptions: orderSubscriptions(orders, now),
    routers: [orderRoutes({ orders, shipments: deps.shipments, now }), expiryRoutes(orders, now), reconciliationRoutes(reconciler, now)],
  });
}
