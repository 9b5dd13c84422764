/**
 * Rate limiting at the gateway: each client (an authenticated caller by who
 * they are, an anonymous one by address) may make `limit` requests a
 * window (a minute unless configured); past it, 429 with Retry-After. Every
 * answer says where the client stands (RateLimit-Limit, -Remaining, -Reset).
 *
 * The counters live in the gateway's state store, through its sidecar, so
 * that every gateway replica counts the same requests: a window's count is
 * one key, raised with the ETag it was read with (first write wins on every
 * store), and a raise that lost a race is tried again with the new count.
 * Within one replica, takes on the same key wait for each other instead of
 * racing. A store that cannot be reached lets requests through (the
 * gateway's own answer to them will say what is wrong) and is logged: the
 * limit protects the services, it must not be what takes them offline.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { Context } from "koa";
import { EtagMismatchError } from "../kit/ports/errors.ts";
import type { StateStore } from "../kit/ports/ports.ts";
import { HttpProblem } from "../kit/http/problems.ts";
import { requestLog } from "../kit/http/request-context.ts";
import type { Principal } from "./auth.ts";
import { GatewayProblems } from "./errors.ts";

export interface RateLimitOptions {
  /** Requests a client may make in a window; 0 turns the limit off. */
  limit: number;
  windowMs: number;
  store: StateStore;
  now?: () => number;
}

export interface Allowance {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window ends. */
  resetSeconds: number;
}

/** How many times a raise that lost a race is tried again before the request is let through. */
const RACE_ATTEMPTS = 20;

export class RateLimiter {
  readonly #options: RateLimitOptions;
  readonly #now: () => number;
  /** The take under way per key in this replica, so that they queue rather than race. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(options: RateLimitOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.#options.limit > 0;
  }

  /** Counts one request of `client` in the current window, if the window has room. */
  take(client: string): Promise<Allowance> {
    const { windowMs } = this.#options;
    const now = this.#now();
    const window = Math.floor(now / windowMs);
    const key = `ratelimit:${client}:${window}`;
    const resetSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const taken = previous.catch(() => undefined).then(() => this.#raise(key, resetSeconds));
    this.#queues.set(key, taken);
    void taken.finally(() => {
      if (this.#queues.get(key) === taken) this.#queues.delete(key);
    }).catch(() => undefined);
    return taken;
  }

  async #raise(key: string, resetSeconds: number): Promise<Allowance> {
    const { limit, windowMs, store } = this.#options;
    // Kept a window longer than it counts, then gone by itself.
    const metadata = { ttlInSeconds: String(Math.ceil((2 * windowMs) / 1000)) };
    for (let attempt = 1; attempt <= RACE_ATTEMPTS; attempt++) {
      const current = await store.get<number>(key);
      const count = current?.value ?? 0;
      if (count >= limit) return { allowed: false, limit, remaining: 0, resetSeconds };
      try {
        await store.save(key, count + 1, current ? { etag: current.etag, metadata } : { onlyIfAbsent: true, metadata });
        return { allowed: true, limit, remaining: limit - count - 1, resetSeconds };
      } catch (err) {
        if (!(err instanceof EtagMismatchError)) throw err;
        // Lost to another replica's raise: wait a little, at random, so
        // that the two do not keep meeting in step.
        await delay(Math.random() * 5 * attempt);
      }
    }
    throw new Error(`the rate limit's counter ${key} kept changing under ${RACE_ATTEMPTS} attempts`);
  }
}

/** Who a request counts against: the caller, or for an anonymous one its address. */
export function clientOf(ctx: Context, principal: Principal | undefined): string {
  return principal ? `${principal.via}:${principal.subject}` : `ip:${ctx.ip}`;
}

/** Counts the request against its client: sets the RateLimit headers, and answers 429 past the limit. */
export async function limitRate(ctx: Context, limiter: RateLimiter, principal: Principal | undefined): Promise<void> {
  if (!limiter.enabled) return;
  let allowance: Allowance;
  try {
    allowance = await limiter.take(clientOf(ctx, principal));
  } catch (err) {
    requestLog(ctx).warn({ err }, "rate limit not applied: its counter could not be read or raised");
    return;
  }
  const headers = {
    "RateLimit-Limit": String(allowance.limit),
    "RateLimit-Remaining": String(allowance.remaining),
    "RateLimit-Reset": String(allowance.resetSeconds),
  };
  if (!allowance.allowed) {
    throw new HttpProblem(GatewayProblems.tooManyRequests, `At most ${allowance.limit} requests a window; try again in ${allowance.resetSeconds} s`, {
      headers: { ...headers, "Retry-After": String(allowance.resetSeconds) },
    });
  }
  ctx.set(headers);
}
