import type { Env, KitConfig } from "../kit/config.ts";
import { loadKitConfig } from "../kit/config.ts";

export type PaymentConfig = KitConfig;

/** Reads the payment service's configuration; throws ConfigError naming a bad variable. */
export function loadConfig(env: Env): PaymentConfig {
  return loadKitConfig(env, "payment", 8005);
}
