import type { Env, KitConfig } from "../kit/config.ts";
import { loadKitConfig, readInteger, readString } from "../kit/config.ts";

export interface InventoryConfig extends KitConfig {
  /** How long a reservation waits for its payment before it expires. */
  reservationTtlSeconds: number;
  /** The currency of every price. */
  currency: string;
}

/** Reads the inventory service's configuration; throws ConfigError naming a bad variable. */
export function loadConfig(env: Env): InventoryConfig {
  return {
    ...loadKitConfig(env, "inventory", 8003),
    reservationTtlSeconds: readInteger(env, "RESERVATION_TTL_SECONDS", 900, 1, 7 * 24 * 3600),
    currency: readString(env, "CURRENCY", "EUR"),
  };
}
