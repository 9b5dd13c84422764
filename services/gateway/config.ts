import type { Env, KitConfig } from "../kit/config.ts";
import type { EdgeConfig } from "./edge.ts";
import { ConfigError, loadKitConfig, readChoice, readInteger, readOptional, readString } from "../kit/config.ts";

/** The app ids behind the public API, by service. */
export interface Upstreams {
  order: string;
  inventory: string;
  payment: string;
  tracking: string;
  notification: string;
  /** "" where no read side is deployed (READ_SIDE=off): its operations answer 503, /health leaves it out. */
  dashboard: string;
}

export interface GatewayConfig extends KitConfig {
  upstreams: Upstreams;
  /** How long a forwarded call may take before the client gets a 504. */
  upstreamTimeoutMs: number;
  auth: AuthConfig;
  /** Requests a client may make per window (0: no limit), and the window. */
  rateLimit: { limit: number; windowMs: number };
  edge: EdgeConfig;
}

/** Where the gateway finds what proves a caller (auth.ts). */
export interface AuthConfig {
  secretStoreName: string;
  /** The secret holding the hashed API keys. */
  apiKeysSecret: string;
  /** The token issuer (`iss`) and audience (`aud`) accepted. */
  issuer: string;
  audience: string;
  /** The issuer's JWKS URL; without it, the JWKS is read from the secret `jwksSecret` (the development issuer). */
  jwksUrl: string | undefined;
  jwksSecret: string;
  rolesClaim: string;
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
      // READ_SIDE=off where no dashboard is deployed: its operations answer 503.
      dashboard: readChoice(env, "READ_SIDE", ["on", "off"], "on") === "off" ? "" : readString(env, "DASHBOARD_APP_ID", "dashboard"),
    },
    upstreamTimeoutMs: readInteger(env, "UPSTREAM_TIMEOUT_MS", 15_000, 100, 300_000),
    rateLimit: {
      limit: readInteger(env, "RATE_LIMIT_PER_WINDOW", 100, 0, 1_000_000),
      windowMs: readInteger(env, "RATE_LIMIT_WINDOW_SECONDS", 60, 1, 3600) * 1000,
    },
    edge: {
      corsOrigins: readCorsOrigins(env),
      hstsMaxAgeSeconds: readInteger(env, "HSTS_MAX_AGE_SECONDS", 0, 0, 63_072_000),
    },
    auth: {
      secretStoreName: readString(env, "SECRETSTORE_NAME", "secretstore"),
      apiKeysSecret: readString(env, "API_KEYS_SECRET", "GATEWAY_API_KEYS"),
      issuer: readString(env, "OIDC_ISSUER", "logistics-dev-issuer"),
      audience: readString(env, "OIDC_AUDIENCE", "logistics-api"),
      jwksUrl: readOptional(env, "OIDC_JWKS_URL"),
      jwksSecret: readString(env, "OIDC_JWKS_SECRET", "OIDC_DEV_JWKS"),
      rolesClaim: readString(env, "OIDC_ROLES_CLAIM", "roles"),
    },
  };
}

/** CORS_ORIGINS: origins separated by commas (https://shop.example.com), or `*`; unset or empty: CORS off. */
function readCorsOrigins(env: Env): string[] {
  const origins = (readOptional(env, "CORS_ORIGINS") ?? "").split(",").map((o) => o.trim()).filter(Boolean);
  for (const origin of origins) {
    if (origin === "*") continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      // reported below
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError("CORS_ORIGINS", `"${origin}" is not an origin (scheme://host[:port], no path or trailing slash)`);
    }
  }
  return origins;
}
