/**
 * The tracking service's app. Its business routes and event handlers arrive
 * with the saga; for now it answers probes, metrics and /dapr/subscribe.
 */
import type Koa from "koa";
import { createApp } from "../kit/app.ts";
import type { ReadinessCheck } from "../kit/app.ts";
import type { StateStore } from "../kit/dapr/ports.ts";
import { subscriptionRouter } from "../kit/dapr/subscriptions.ts";
import type { Logger } from "../kit/logger.ts";
import type { HttpMetrics } from "../kit/metrics.ts";

export interface TrackingAppDeps {
  appId: string;
  logger: Logger;
  metrics: HttpMetrics;
  bodyLimitBytes: number;
  appApiToken?: string | undefined;
  pubsubName: string;
  store: StateStore;
  readiness?: ReadinessCheck[];
}

export function buildApp(deps: TrackingAppDeps): Koa {
  const app = createApp(deps);
  app.use(subscriptionRouter([], { pubsubName: deps.pubsubName, store: deps.store, logger: deps.logger, registry: deps.metrics.registry }).routes());
  return app;
}
