/**
 * The Koa app every service is built from, composed in one place from the
 * middleware files beside this one. A service adds its routers.
 */
import Koa from "koa";
import type { Logger } from "../logger.ts";
import type { HttpMetrics } from "../metrics.ts";
import { accessLog } from "./access-log.ts";
import { requireApiToken } from "./api-token.ts";
import { jsonBody } from "./body.ts";
import { renderProblems } from "./errors.ts";
import { probes } from "./probes.ts";
import type { ReadinessCheck } from "./probes.ts";
import { requestContext } from "./request-context.ts";

export interface AppOptions {
  appId: string;
  logger: Logger;
  metrics: HttpMetrics;
  bodyLimitBytes: number;
  /** When set, every call but the probes must carry it as dapr-api-token. */
  appApiToken?: string | undefined;
  readiness?: ReadinessCheck[];
}

/** Builds the app; the caller mounts its routers with app.use(). */
export function createApp(options: AppOptions): Koa {
  const app = new Koa({ proxy: false });
  // Request id and trace context first, so that every later line can use them.
  app.use(requestContext(options.logger));
  // The access log and metrics see the final status, problems included.
  app.use(accessLog(options.metrics));
  app.use(renderProblems);
  if (options.appApiToken) app.use(requireApiToken(options.appApiToken));
  app.use(jsonBody(options.bodyLimitBytes));
  app.use(probes(options));
  // Koa logs errors itself unless told otherwise; ours are logged above.
  app.silent = true;
  return app;
}
