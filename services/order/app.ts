/** The order service's app, built from its dependencies (real or fake). */
import type Koa from "koa";
import type { OutboxStore } from "../kit/dapr/ports.ts";
import { createServiceApp } from "../kit/service-app.ts";
import type { ServiceDeps } from "../kit/service-app.ts";
import { orderRoutes } from "./routes.ts";
import { OrderStore } from "./store.ts";

export interface OrderAppDeps extends ServiceDeps {
  orderStore: OutboxStore;
  now?: () => Date;
}

export function buildApp(deps: OrderAppDeps): Koa {
  const orders = new OrderStore(deps.orderStore);
  // The order service consumes no events yet; it still answers /dapr/subscribe.
  return createServiceApp({
    ...deps,
    eventStore: deps.orderStore,
    routers: [orderRoutes({ orders, ...(deps.now ? { now: deps.now } : {}) })],
  });
}
