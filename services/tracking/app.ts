/** The tracking service's app, built from its dependencies (real or fake). */
import type Koa from "koa";
import { KeyLocks } from "../kit/coordination/locks.ts";
import type { OutboxStore } from "../kit/ports/ports.ts";
import { createServiceApp } from "../kit/service-app.ts";
import type { ServiceDeps } from "../kit/service-app.ts";
import { trackingSubscriptions } from "./events.ts";
import { trackingRoutes } from "./routes.ts";
import { simulatorRoutes } from "./simulator.ts";
import { Shipments } from "./store.ts";

export interface TrackingAppDeps extends ServiceDeps {
  store: OutboxStore;
  couriers: string[];
  now?: () => Date;
}

export function buildApp(deps: TrackingAppDeps): Koa {
  const locks = new KeyLocks(deps.store);
  const shipments = new Shipments(deps.store, locks, deps.couriers, deps.now ?? (() => new Date()));
  return createServiceApp({
    ...deps,
    locks,
    subscriptions: trackingSubscriptions(shipments),
    routers: [trackingRoutes(shipments), simulatorRoutes(shipments)],
  });
}
