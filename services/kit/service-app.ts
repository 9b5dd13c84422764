/**
 * The app of a service that listens to events: the kit's app with the
 * service's subscriptions (/dapr/subscribe and their delivery routes) and
 * its API routers.
 */
import type Router from "@koa/router";
import type Koa from "koa";
import { createApp } from "./http/app.ts";
import type { AppOptions } from "./http/app.ts";
import type { KeyLocks } from "./coordination/locks.ts";
import type { StateStore } from "./ports/ports.ts";
import { deadLetterRouter } from "./events/dead-letters.ts";
import type { SubscriptionSpec } from "./events/handlers.ts";
import { EventDelivery, subscriptionRouter } from "./events/subscriptions.ts";

/** What every service's buildApp takes besides its own ports. */
export interface ServiceDeps extends AppOptions {
  pubsubName: string;
}

export interface ServiceAppOptions extends ServiceDeps {
  /** Where the subscription router records applied events and dead letters. */
  store: StateStore;
  locks: KeyLocks;
  subscriptions?: SubscriptionSpec[];
  routers?: Router[];
}

/** createApp, plus the service's subscriptions and routers. */
export function createServiceApp(options: ServiceAppOptions): Koa {
  const specs = options.subscriptions ?? [];
  const shared = { appId: options.appId, store: options.store, locks: options.locks, logger: options.logger, registry: options.metrics.registry };
  // One delivery for both: a dead letter is applied as its topic's events are.
  const delivery = new EventDelivery(specs, { ...shared, pubsubName: options.pubsubName });
  // /readyz also says when the app's events make no progress.
  const app = createApp({ ...options, readiness: [...(options.readiness ?? []), ...(specs.length > 0 ? [delivery.readinessCheck()] : [])] });
  app.use(subscriptionRouter(specs, { ...shared, pubsubName: options.pubsubName }, delivery).routes());
  app.use(deadLetterRouter(specs, { ...shared, delivery }).routes());
  for (const router of options.routers ?? []) app.use(router.routes());
  return app;
}
