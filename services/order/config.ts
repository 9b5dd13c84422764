import type { Env, KitConfig } from "../kit/config.ts";
import { loadKitConfig, readString } from "../kit/config.ts";

export interface OrderConfig extends KitConfig {
  /** The state store whose transactions publish order events (the outbox). */
  orderStoreName: string;
}

/** Reads the order service's configuration; throws ConfigError naming a bad variable. */
export function loadConfig(env: Env): OrderConfig {
  return {
    ...loadKitConfig(env, "order", 8001),
    orderStoreName: readString(env, "ORDER_STORE_NAME", "orderstore"),
  };
}
