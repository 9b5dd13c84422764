/** The notification service's app, built from its dependencies (real or fake). */
import type Koa from "koa";
import { createApp } from "../kit/app.ts";
import type { ReadinessCheck } from "../kit/app.ts";
import type { StateStore } from "../kit/dapr/ports.ts";
import { subscriptionRouter } from "../kit/dapr/subscriptions.ts";
import type { Logger } from "../kit/logger.ts";
import type { HttpMetrics } from "../kit/metrics.ts";
import { notificationSubscriptions } from "./events.ts";
import { notificationRoutes } from "./routes.ts";
import { NotificationLog } from "./store.ts";

export interface NotificationAppDeps {
  appId: string;
  logger: Logger;
  metrics: HttpMetrics;
  bodyLimitBytes: number;
  appApiToken?: string | undefined;
  pubsubName: string;
  store: StateStore;
  readiness?: ReadinessCheck[];
  now?: () => Date;
}

export function buildApp(deps: NotificationAppDeps): Koa {
  const app = createApp(deps);
  const log = new NotificationLog(deps.store);
  const subscriptions = subscriptionRouter(notificationSubscriptions(log, deps.now), {
    pubsubName: deps.pubsubName,
    store: deps.store,
    logger: deps.logger,
    registry: deps.metrics.registry,
  });
  app.use(subscriptions.routes());
  app.use(notificationRoutes(log).routes());
  return app;
}
