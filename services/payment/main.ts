/** Starts the payment service. */
import { runService } from "../kit/service.ts";
import { buildApp } from "./app.ts";
import { loadConfig } from "./config.ts";
import { ProviderCredentials } from "./provider.ts";

await runService(loadConfig, ({ config, basics, dapr }) =>
  buildApp({ ...basics, store: dapr.state, publisher: dapr.publisher, provider: new ProviderCredentials(dapr.secrets, config.secretStoreName, config.providerKeySecret) }),
);
