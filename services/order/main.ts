/** Starts the order service: config from the environment, ports over the sidecar. */
import { runService } from "../kit/service.ts";
import { buildApp } from "./app.ts";
import { loadConfig } from "./config.ts";
import { TrackingShipmentCanceller } from "./shipments.ts";

await runService(loadConfig, ({ config, basics, dapr }) =>
  buildApp({ ...basics, store: dapr.state, publisher: dapr.publisher, shipments: new TrackingShipmentCanceller(dapr.invoker, config.trackingAppId, config.invokeTimeoutMs) }),
);
