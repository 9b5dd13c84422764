/**
 * What every service's main.ts does: read the configuration, connect the
 * ports to the sidecar, build the app, listen, and shut down gracefully.
 */
import type Koa from "koa";
import type { ReadinessCheck } from "./http/probes.ts";
import type { KitConfig } from "./config.ts";
import { ConfigError } from "./config.ts";
import { connectSidecar } from "./dapr/adapters.ts";
import { createLogger } from "./logger.ts";
import type { Logger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import type { HttpMetrics } from "./metrics.ts";
import { exit, processEnv } from "./runtime.ts";
import type { Env } from "./config.ts";
import { serve } from "./server.ts";
import { startTracing } from "./telemetry.ts";
import type { RunningServer } from "./server.ts";

export type SidecarPorts = ReturnType<typeof connectSidecar>;

/** What a service's buildApp receives from main. */
export interface ServiceContext<C extends KitConfig> {
  config: C;
  dapr: SidecarPorts;
  /** The config with the logger, metrics and readiness checks: what every buildApp takes. */
  basics: C & { logger: Logger; metrics: HttpMetrics; readiness: ReadinessCheck[] };
}

/**
 * Loads config with `loadConfig` (exiting with the bad variable's name when
 * it throws), builds the app and serves it.
 */
export async function runService<C extends KitConfig>(
  loadConfig: (env: Env) => C,
  buildApp: (context: ServiceContext<C>) => Koa,
): Promise<RunningServer> {
  let config: C;
  try {
    config = loadConfig(processEnv());
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config.appId, config.logLevel);
  const tracing = await startTracing(config.appId, processEnv(), logger);
  const metrics = createMetrics(config.appId);
  const dapr = connectSidecar(config, { stateStore: config.stateStoreName, pubsub: config.pubsubName });
  const readiness: ReadinessCheck[] = [{ name: "dapr", check: () => dapr.sidecar.check() }];
  const app = buildApp({ config, dapr, basics: { ...config, logger, metrics, readiness } });
  return serve(app, {
    host: config.host,
    port: config.appPort,
    logger,
    shutdownTimeoutMs: config.shutdownTimeoutMs,
    ...(tracing ? { onShutdown: () => tracing.shutdown() } : {}),
  });
}
