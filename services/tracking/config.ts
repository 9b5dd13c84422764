import type { Env, KitConfig } from "../kit/config.ts";
import { ConfigError, loadKitConfig, readString } from "../kit/config.ts";

export interface TrackingConfig extends KitConfig {
  /** The couriers shipments are assigned to. */
  couriers: string[];
}

/** Reads the tracking service's configuration; throws ConfigError naming a bad variable. */
export function loadConfig(env: Env): TrackingConfig {
  const couriers = readString(env, "COURIERS", "ada,grace,linus,margaret")
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  if (couriers.length === 0) throw new ConfigError("COURIERS", "must name at least one courier");
  return { ...loadKitConfig(env, "tracking", 8002), couriers };
}
