import type { Env, KitConfig } from "../kit/config.ts";
import { loadKitConfig, readString } from "../kit/config.ts";
import type { RecordSources } from "./records.ts";

export interface DashboardConfig extends KitConfig {
  /** The secret store component, and the secret in it that holds the MongoDB connection string. */
  secretStoreName: string;
  mongodbUrlSecret: string;
  /** The services a rebuild reads from, by app id. */
  sources: RecordSources;
}

/** Reads the dashboard's configuration; throws ConfigError naming a bad variable. */
export function loadConfig(env: Env): DashboardConfig {
  return {
    ...loadKitConfig(env, "dashboard", 8080),
    secretStoreName: readString(env, "SECRETSTORE_NAME", "secretstore"),
    mongodbUrlSecret: readString(env, "MONGODB_URL_SECRET", "MONGODB_URL"),
    sources: {
      order: readString(env, "ORDER_APP_ID", "order"),
      payment: readString(env, "PAYMENT_APP_ID", "payment"),
      tracking: readString(env, "TRACKING_APP_ID", "tracking"),
      inventory: readString(env, "INVENTORY_APP_ID", "inventory"),
    },
  };
}
