/**
 * Configuration is read once, at start, from the environment by a pure
 * function. A bad or missing value stops the service with a message that
 * names the variable. Dapr's own variable names are used where they exist.
 */

export type Env = Record<string, string | undefined>;

/** Thrown by loadConfig when a variable is missing or malformed. */
export class ConfigError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
    this.variable = variable;
  }
}

/** A string variable; `fallback` undefined makes it required. */
export function readString(env: Env, name: string, fallback?: string): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") {
    if (fallback === undefined) throw new ConfigError(name, "is required but not set");
    return fallback;
  }
  return raw.trim();
}

/** An optional string variable: undefined when unset or empty. */
export function readOptional(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === "" ? undefined : raw.trim();
}

/** An integer variable within [min, max]. */
export function readInteger(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A TCP port number. */
export function readPort(env: Env, name: string, fallback: number): number {
  return readInteger(env, name, fallback, 1, 65535);
}

/** One of a fixed set of values. */
export function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = readString(env, name, fallback);
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${choices.join(", ")}, got "${raw}"`);
  }
  return raw as T;
}

/** A size such as 1mb, 512kb or 2048 (bytes). */
export function readByteSize(env: Env, name: string, fallback: number): number {
  const raw = readOptional(env, name);
  if (raw === undefined) return fallback;
  const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(raw);
  if (!match) throw new ConfigError(name, `must be a size like 512kb or 1mb, got "${raw}"`);
  const units: Record<string, number> = { b: 1, kb: 1024, mb: 1024 * 1024 };
  return Number(match[1]) * units[(match[2] ?? "b").toLowerCase()]!;
}

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What every service reads: its identity, its ports, its sidecar, tokens. */
export interface KitConfig {
  appId: string;
  /** Address the HTTP server binds to. */
  host: string;
  appPort: number;
  daprHost: string;
  daprHttpPort: number;
  /** Sent as dapr-api-token on calls to the sidecar when set. */
  daprApiToken: string | undefined;
  /** Required as dapr-api-token on calls from the sidecar when set. */
  appApiToken: string | undefined;
  logLevel: LogLevel;
  bodyLimitBytes: number;
  /** How long shutdown waits for requests in flight. */
  shutdownTimeoutMs: number;
  pubsubName: string;
  stateStoreName: string;
}

/** Reads the kit's part of the configuration for the service `defaultAppId`. */
export function loadKitConfig(env: Env, defaultAppId: string, defaultPort: number): KitConfig {
  return {
    appId: readString(env, "APP_ID", defaultAppId),
    host: readString(env, "APP_HOST", "127.0.0.1"),
    appPort: readPort(env, "APP_PORT", defaultPort),
    daprHost: readString(env, "DAPR_HOST", "127.0.0.1"),
    daprHttpPort: readPort(env, "DAPR_HTTP_PORT", 3500),
    daprApiToken: readOptional(env, "DAPR_API_TOKEN"),
    appApiToken: readOptional(env, "APP_API_TOKEN"),
    logLevel: readChoice(env, "LOG_LEVEL", LOG_LEVELS, "info"),
    bodyLimitBytes: readByteSize(env, "BODY_LIMIT", 1024 * 1024),
    shutdownTimeoutMs: readInteger(env, "SHUTDOWN_TIMEOUT_MS", 10_000, 0, 120_000),
    pubsubName: readString(env, "PUBSUB_NAME", "pubsub"),
    stateStoreName: readString(env, "STATESTORE_NAME", `${defaultAppId}store`),
  };
}
