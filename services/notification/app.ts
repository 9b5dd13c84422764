/** The notification service's app, built from its dependencies (real or fake). */
import type Koa from "koa";
import { KeyLocks } from "../kit/coordination/locks.ts";
import type { OutboxStore, OutputBinding } from "../kit/ports/ports.ts";
import { createServiceApp } from "../kit/service-app.ts";
import type { ServiceDeps } from "../kit/service-app.ts";
import { notificationSubscriptions } from "./events.ts";
import { notificationRoutes } from "./routes.ts";
import { NotificationLog } from "./store.ts";

export interface NotificationAppDeps extends ServiceDeps {
  store: OutboxStore;
  bindings: OutputBinding;
  emailBinding: string;
  operationsEmail: string;
  now?: () => Date;
}

export function buildApp(deps: NotificationAppDeps): Koa {
  const locks = new KeyLocks(deps.store);
  const log = new NotificationLog(deps.store, locks);
  return createServiceApp({
    ...deps,
    locks,
    subscriptions: notificationSubscriptions(log, { binding: deps.bindings, bindingName: deps.emailBinding, operationsEmail: deps.operationsEmail }, deps.now),
    routers: [notificationRoutes(log)],
  });
}
