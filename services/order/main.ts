/** Starts the order service: config from the environment, ports over the sidecar. */
import { runService } from "../kit/service.ts";
import { buildApp } from "./app.ts";
import { loadConfig } from "./config.ts";

await runService(loadConfig, ({ config, basics, dapr }) => buildApp({ ...basics, orderStore: dapr.store(config.orderStoreName) }));
