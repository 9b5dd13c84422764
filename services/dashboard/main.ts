/** Starts the dashboard (the read side). */
import { runService } from "../kit/service.ts";
import { buildApp } from "./app.ts";
import { loadConfig } from "./config.ts";
import { ReadSide } from "./read-side.ts";
import { ReadModel } from "./store.ts";

await runService(loadConfig, ({ config, basics, dapr }) => {
  // The connection string is a secret (credentials, where the database is).
  const readSide = new ReadSide(async () => {
    const secret = await dapr.secrets.get(config.secretStoreName, config.mongodbUrlSecret);
    const url = secret[config.mongodbUrlSecret];
    if (!url) throw new Error(`secret ${config.mongodbUrlSecret} in ${config.secretStoreName} is empty`);
    return ReadModel.connect(url);
  }, basics.logger);
  return buildApp({ ...basics, store: dapr.state, projections: readSide });
});
