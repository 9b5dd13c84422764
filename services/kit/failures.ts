/**
 * One classification of what went wrong, shared by HTTP answers (http/errors.ts)
 * and event deliveries (events/subscriptions.ts), so that a lost race is
 * "busy" in both and a sidecar that is down is "unavailable" in both.
 */
import { LockBusyError } from "./coordination/locks.ts";
import { HttpProblem } from "./http/problems.ts";
import { DaprTimeoutError, DaprUnavailableError, EtagMismatchError } from "./ports/errors.ts";

/** Thrown for an event that can never be applied: it goes to the dead-letter topic. */
export class PoisonEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PoisonEventError";
  }
}

/**
 * Thrown for an event that arrived before what it builds on (a payment for
 * an order not yet reserved, say): it is delivered again later.
 */
export class NotYetApplicableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotYetApplicableError";
  }
}

/**
 * A dependency of the service's own (not the sidecar: a database the read
 * side writes to, say) cannot be reached: nothing changed; an event is
 * delivered again, a request answered 503.
 */
export class DependencyUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DependencyUnavailableError";
  }
}

export type Failure =
  /** An HttpProblem, or an error Koa marks as the client's (status 4xx, expose). */
  | "problem"
  /** Input that can never be applied. */
  | "poison"
  /** An event that came before what it builds on. */
  | "early"
  /** Another writer holds the same key: nothing changed; retry. */
  | "busy"
  /** The sidecar or a dependency could not be reached: nothing changed; retry. */
  | "unavailable"
  /** A dependency did not answer in time: the outcome is unknown. */
  | "timeout"
  /** Anything else: a bug or an unforeseen state. */
  | "unexpected";

/** What kind of failure `err` is. */
export function classifyFailure(err: unknown): Failure {
  if (err instanceof HttpProblem) return "problem";
  if (err instanceof PoisonEventError) return "poison";
  if (err instanceof NotYetApplicableError) return "early";
  if (err instanceof LockBusyError || err instanceof EtagMismatchError) return "busy";
  if (err instanceof DaprUnavailableError || err instanceof DependencyUnavailableError) return "unavailable";
  if (err instanceof DaprTimeoutError) return "timeout";
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === "number" && status >= 400 && status < 500 && (err as { expose?: boolean }).expose) return "problem";
  return "unexpected";
}
