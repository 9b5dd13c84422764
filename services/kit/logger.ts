/**
 * JSON logs through pino: one line per event on stdout, one child logger per
 * request bound to its request id and trace id, secrets redacted.
 */
import { pino } from "pino";
import type { Logger } from "pino";
import type { LogLevel } from "./config.ts";
import { runtimeName } from "./runtime.ts";

export type { Logger };

/** Paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  "req.headers.authorization",
  'req.headers["dapr-api-token"]',
  'req.headers["x-api-key"]',
  "*.card_token",
  "*.password",
  "*.apiKey",
  "*.token",
];

/** The root logger of a service; `destination` is for tests that read lines. */
export function createLogger(
  appId: string,
  level: LogLevel,
  destination?: { write(line: string): void },
): Logger {
  const options = {
    level,
    base: { app_id: appId, runtime: runtimeName() },
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  return destination ? pino(options, destination) : pino(options);
}
