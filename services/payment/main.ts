/** Starts the payment service. */
import { runService } from "../kit/service.ts";
import { buildApp } from "./app.ts";
import { loadConfig } from "./config.ts";

await runService(loadConfig, ({ config, logger, metrics, dapr }) =>
  buildApp({
    ...config,
    logger,
    metrics,
    store: dapr.state,
    readiness: [{ name: "dapr", check: () => dapr.sidecar.check() }],
  }),
);
