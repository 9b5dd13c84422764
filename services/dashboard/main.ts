/** Starts the dashboard (the read side). */
import { onShutdownSignal } from "../kit/runtime.ts";
import { runService } from "../kit/service.ts";
import { buildApp } from "./app.ts";
import { LiveFeed } from "./live.ts";
import { loadConfig } from "./config.ts";
import { ReadSide } from "./read-side.ts";
import { Rebuilder } from "./rebuild.ts";
import { recordsThrough } from "./records.ts";
import { ReadModel } from "./store.ts";

await runService(loadConfig, ({ config, basics, dapr }) => {
  // The connection string is a secret (credentials, where the database is).
  const readSide = new ReadSide(async () => {
    const secret = await dapr.secrets.get(config.secretStoreName, config.mongodbUrlSecret);
    const url = secret[config.mongodbUrlSecret];
    if (!url) throw new Error(`secret ${config.mongodbUrlSecret} in ${config.secretStoreName} is empty`);
    return ReadModel.connect(url);
  }, basics.logger);
  const feed = new LiveFeed(() => readSide.summary(), basics.logger);
  // Open streams would hold the graceful shutdown up until its timeout.
  onShutdownSignal(() => feed.close());
  const rebuilder = new Rebuilder(readSide, recordsThrough(dapr.invoker, config.sources), basics.logger);
  return buildApp({ ...basics, store: dapr.state, projections: readSide, feed, rebuilder });
});
