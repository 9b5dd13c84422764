/** Starts the gateway: the public HTTP API in front of every service. */
import { runService } from "../kit/service.ts";
import { buildApp } from "./app.ts";
import { loadConfig } from "./config.ts";

await runService(loadConfig, ({ basics, dapr }) => buildApp({ ...basics, invoker: dapr.invoker, sidecar: dapr.sidecar, secrets: dapr.secrets, store: dapr.state }));
