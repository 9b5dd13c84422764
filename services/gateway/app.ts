/** The gateway's app, built from its dependencies (real or fake). */
import type Koa from "koa";
import { createApp } from "../kit/http/app.ts";
import type { ReadinessCheck } from "../kit/http/probes.ts";
import type { ServiceInvoker, SidecarHealth } from "../kit/ports/ports.ts";
import type { Logger } from "../kit/logger.ts";
import type { HttpMetrics } from "../kit/metrics.ts";
import type { Upstreams } from "./config.ts";
import { gatewayRoutes } from "./routes.ts";

export interface GatewayAppDeps {
  appId: string;
  logger: Logger;
  metrics: HttpMetrics;
  bodyLimitBytes: number;
  appApiToken?: string | undefined;
  invoker: ServiceInvoker;
  sidecar: SidecarHealth;
  upstreams: Upstreams;
  upstreamTimeoutMs: number;
  readiness?: ReadinessCheck[];
}

export function buildApp(deps: GatewayAppDeps): Koa {
  // Public clients call the gateway directly, not through a sidecar: it takes no app token.
  const app = createApp({ ...deps, appApiToken: undefined });
  app.use(gatewayRoutes(deps).routes());
  return app;
}
