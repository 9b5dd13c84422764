import type { Env, KitConfig } from "../kit/config.ts";
import { loadKitConfig, readInteger, readString } from "../kit/config.ts";

/** The app ids behind the public API, by service. */
export interface Upstreams {
  order: string;
  inventory: string;
  payment: string;
  tracking: string;
  notification: string;
}

export interface GatewayConfig extends KitConfig {
  upstreams: Upstreams;
  /** How long a forwarded call may take before the client gets a 504. */
  upstreamTimeoutMs: number;
}

/** Reads the gateway's configuration; throws ConfigError naming a bad variable. */
export function loadConfig(env: Env): GatewayConfig {
  return {
    ...loadKitConfig(env, "gateway", 8000),
    upstreams: {
      order: readString(env, "ORDER_APP_ID", "order"),
      inventory: readString(env, "INVENTORY_APP_ID", "inventory"),
      payment: readString(env, "PAYMENT_APP_ID", "payment"),
      tracking: readString(env, "TRACKING_APP_ID", "tracking"),
      notification: readString(env, "NOTIFICATION_APP_ID", "notification"),
    },
    upstreamTimeoutMs: readInteger(env, "UPSTREAM_TIMEOUT_MS", 15_000, 100, 300_000),
  };
}
