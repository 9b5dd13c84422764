import type { Env, KitConfig } from "../kit/config.ts";
import { loadKitConfig, readInteger, readString } from "../kit/config.ts";

export interface OrderConfig extends KitConfig {
  /** The app id of the tracking service, asked to call off shipments of cancelled orders. */
  trackingAppId: string;
  invokeTimeoutMs: number;
  /** How long an order may wait in pending or processing before the reconciliation announces it again. */
  stuckAfterSeconds: number;
}

/** Reads the order service's configuration; throws ConfigError naming a bad variable. */
export function loadConfig(env: Env): OrderConfig {
  return {
    ...loadKitConfig(env, "order", 8001),
    trackingAppId: readString(env, "TRACKING_APP_ID", "tracking"),
    invokeTimeoutMs: readInteger(env, "INVOKE_TIMEOUT_MS", 5000, 100, 60_000),
    stuckAfterSeconds: readInteger(env, "ORDER_STUCK_AFTER_SECONDS", 60, 5, 24 * 3600),
  };
}
