import type { Env, KitConfig } from "../kit/config.ts";
import { loadKitConfig, readString } from "../kit/config.ts";

export interface NotificationConfig extends KitConfig {
  /** The output binding component messages leave through. */
  emailBinding: string;
  /** Where low-stock alerts are sent. */
  operationsEmail: string;
}

/** Reads the notification service's configuration; throws ConfigError naming a bad variable. */
export function loadConfig(env: Env): NotificationConfig {
  return {
    ...loadKitConfig(env, "notification", 8004),
    emailBinding: readString(env, "EMAIL_BINDING", "email"),
    operationsEmail: readString(env, "OPERATIONS_EMAIL", "operations@logistics.example"),
  };
}
