/** The notification service's app, built from its dependencies (real or fake). */
import type Koa from "koa";
import type { StateStore } from "../kit/dapr/ports.ts";
import { createServiceApp } from "../kit/service-app.ts";
import type { ServiceDeps } from "../kit/service-app.ts";
import { notificationSubscriptions } from "./events.ts";
import { notificationRoutes } from "./routes.ts";
import { NotificationLog } from "./store.ts";

export interface NotificationAppDeps extends ServiceDeps {
  store: StateStore;
  now?: () => Date;
}

export function buildApp(deps: NotificationAppDeps): Koa {
  const log = new NotificationLog(deps.store);
  return createServiceApp({
    ...deps,
    eventStore: deps.store,
    subscriptions: notificationSubscriptions(log, deps.now),
    routers: [notificationRoutes(log)],
  });
}
