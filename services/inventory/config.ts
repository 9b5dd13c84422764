import type { Env, KitConfig } from "../kit/config.ts";
import { loadKitConfig } from "../kit/config.ts";

export type InventoryConfig = KitConfig;

/** Reads the inventory service's configuration; throws ConfigError naming a bad variable. */
export function loadConfig(env: Env): InventoryConfig {
  return loadKitConfig(env, "inventory", 8003);
}
