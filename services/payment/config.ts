import type { Env, KitConfig } from "../kit/config.ts";
import { loadKitConfig, readString } from "../kit/config.ts";

export interface PaymentConfig extends KitConfig {
  currency: string;
  /** The secret store component, and the secret in it that holds the provider's API key. */
  secretStoreName: string;
  providerKeySecret: string;
}

/** Reads the payment service's configuration; throws ConfigError naming a bad variable. */
export function loadConfig(env: Env): PaymentConfig {
  return {
    ...loadKitConfig(env, "payment", 8005),
    currency: readString(env, "CURRENCY", "EUR"),
    secretStoreName: readString(env, "SECRETSTORE_NAME", "secretstore"),
    providerKeySecret: readString(env, "PAYMENT_PROVIDER_KEY_SECRET", "PAYMENT_PROVIDER_API_KEY"),
  };
}
