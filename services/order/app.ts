/** The order service's app, built from its dependencies (real or fake). */
import type Koa from "koa";
import { createApp } from "../kit/app.ts";
import type { ReadinessCheck } from "../kit/app.ts";
import type { OutboxStore } from "../kit/dapr/ports.ts";
import { subscriptionRouter } from "../kit/dapr/subscriptions.ts";
import type { Logger } from "../kit/logger.ts";
import type { HttpMetrics } from "../kit/metrics.ts";
import { orderRoutes } from "./routes.ts";
import { OrderStore } from "./store.ts";

export interface OrderAppDeps {
  appId: string;
  logger: Logger;
  metrics: HttpMetrics;
  bodyLimitBytes: number;
  appApiToken?: string | undefined;
  pubsubName: string;
  orderStore: OutboxStore;
  readiness?: ReadinessCheck[];
  now?: () => Date;
}

export function buildApp(deps: OrderAppDeps): Koa {
  const app = createApp(deps);
  const orders = new OrderStore(deps.orderStore);
  // The order service consumes no events yet; it still answers /dapr/subscribe.
  const subscriptions = subscriptionRouter([], { pubsubName: deps.pubsubName, store: deps.orderStore, logger: deps.logger, registry: deps.metrics.registry });
  const routes = orderRoutes({ orders, ...(deps.now ? { now: deps.now } : {}) });
  app.use(subscriptions.routes());
  app.use(routes.routes());
  return app;
}
