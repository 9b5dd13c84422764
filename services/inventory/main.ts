/** Starts the inventory service. */
import { runService } from "../kit/service.ts";
import { buildApp } from "./app.ts";
import { loadConfig } from "./config.ts";

await runService(loadConfig, ({ basics, dapr }) => buildApp({ ...basics, store: dapr.state, publisher: dapr.publisher }));
