/** The order service's app, built from its dependencies (real or fake). */
import type Koa from "koa";
import { KeyLocks } from "../kit/coordination/locks.ts";
import type { OutboxStore } from "../kit/ports/ports.ts";
import { createServiceApp } from "../kit/service-app.ts";
import type { ServiceDeps } from "../kit/service-app.ts";
import { orderSubscriptions } from "./events.ts";
import { expiryRoutes } from "./expiry.ts";
import { orderRoutes } from "./routes.ts";
import type { ShipmentCanceller } from "./shipments.ts";
import { OrderStore } from "./store.ts";

export interface OrderAppDeps extends ServiceDeps {
  store: OutboxStore;
  shipments: ShipmentCanceller;
  now?: () => Date;
}

export function buildApp(deps: OrderAppDeps): Koa {
  const locks = new KeyLocks(deps.store);
  const orders = new OrderStore(deps.store, locks);
  const now = deps.now ?? (() => new Date());
  return createServiceApp({
    ...deps,
    locks,
    subscriptions: orderSubscriptions(orders, now),
    routers: [orderRoutes({ orders, shipments: deps.shipments, now }), expiryRoutes(orders, now)],
  });
}
