import type { Env, KitConfig } from "../kit/config.ts";
import { loadKitConfig } from "../kit/config.ts";

export type NotificationConfig = KitConfig;

/** Reads the notification service's configuration; throws ConfigError naming a bad variable. */
export function loadConfig(env: Env): NotificationConfig {
  return loadKitConfig(env, "notification", 8004);
}
