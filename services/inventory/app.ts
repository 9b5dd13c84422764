/**
 * The inventory service's app. Its business routes and event handlers arrive
 * with the saga; for now it answers probes, metrics and /dapr/subscribe.
 */
import type Koa from "koa";
import type { StateStore } from "../kit/dapr/ports.ts";
import { createServiceApp } from "../kit/service-app.ts";
import type { ServiceDeps } from "../kit/service-app.ts";

export interface InventoryAppDeps extends ServiceDeps {
  store: StateStore;
}

export function buildApp(deps: InventoryAppDeps): Koa {
  return createServiceApp({ ...deps, eventStore: deps.store });
}
