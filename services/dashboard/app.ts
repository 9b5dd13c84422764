/** The dashboard's app (the read side), built from its dependencies (real or fake). */
import type Koa from "koa";
import { KeyLocks } from "../kit/coordination/locks.ts";
import type { StateStore } from "../kit/ports/ports.ts";
import { createServiceApp } from "../kit/service-app.ts";
import type { ServiceDeps } from "../kit/service-app.ts";
import { dashboardSubscriptions } from "./events.ts";
import { LiveFeed } from "./live.ts";
import { pageRoutes } from "./page.ts";
import type { Projections } from "./read-side.ts";
import type { Rebuilder } from "./rebuild.ts";
import { dashboardRoutes } from "./routes.ts";

export interface DashboardAppDeps extends ServiceDeps {
  /** Where the kit keeps applied event ids and dead letters (the sidecar's state store). */
  store: StateStore;
  projections: Projections;
  /** The live page's feed (made here when not given). */
  feed?: LiveFeed;
  /** The operator's rebuild from the services' APIs (POST /api/v1/dashboard/rebuild answers 503 without). */
  rebuilder?: Rebuilder;
  now?: () => Date;
}

export function buildApp(deps: DashboardAppDeps): Koa {
  const feed = deps.feed ?? new LiveFeed(() => deps.projections.summary(), deps.logger);
  return createServiceApp({
    ...deps,
    readiness: [...(deps.readiness ?? []), { name: "mongodb", check: () => deps.projections.ping() }],
    locks: new KeyLocks(deps.store),
    subscriptions: dashboardSubscriptions(deps.projections, deps.now, (event) => feed.applied(event)),
    routers: [dashboardRoutes(deps.projections, feed, deps.rebuilder), pageRoutes()],
  });
}
