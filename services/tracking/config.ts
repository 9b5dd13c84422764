import type { Env, KitConfig } from "../kit/config.ts";
import { loadKitConfig } from "../kit/config.ts";

export type TrackingConfig = KitConfig;

/** Reads the tracking service's configuration; throws ConfigError naming a bad variable. */
export function loadConfig(env: Env): TrackingConfig {
  return loadKitConfig(env, "tracking", 8002);
}
