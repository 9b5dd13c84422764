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
 * Within one replica, takes on the same key never race: the takes that
 * arrive while a raise is under way wait for it and are then counted
 * together, by one raise of their number (a group commit), so that one busy
 * client costs the store a read and a write per round trip, not per request.
 * A store that cannot be reached lets requests through (the gateway's own
 * answer to them will say what is wrong) and is logged: the limit protects
 * the services, it must not be what takes them offline.
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

/** A take waiting for the next raise of its key. */
interface Waiting {
  resetSeconds: number;
  resolve(allowance: Allowance): void;
  reject(err: unknown): void;
}

export class RateLimiter {
  readonly #options: RateLimitOptions;
  readonly #now: () => number;
  /** Per key with a raise under way in this replica: the takes that wait for the next one. */
  readonly #waiting = new Map<string, Waiting[]>();

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
    return new Promise<Allowance>((resolve, reject) => {
      const waiting = this.#waiting.get(key);
      if (waiting) {
        waiting.push({ resetSeconds, resolve, reject });
        return;
      }
      this.#waiting.set(key, [{ resetSeconds, resolve, reject }]);
      void this.#drain(key);
    });
  }

  /** Raises `key` for every take waiting on it, one group at a time, until none waits. */
  async #drain(key: string): Promise<void> {
    const { limit } = this.#options;
    for (;;) {
      const waiting = this.#waiting.get(key)!;
      if (waiting.length === 0) {
        this.#waiting.delete(key);
        return;
      }
      const group = waiting.splice(0);
      try {
        const { count, admitted } = await this.#raise(key, group.length);
        group.forEach((take, i) =>
          take.resolve(i < admitted
            ? { allowed: true, limit, remaining: limit - count - i - 1, resetSeconds: take.resetSeconds }
            : { allowed: false, limit, remaining: 0, resetSeconds: take.resetSeconds }),
        );
      } catch (err) {
        for (const take of group) take.reject(err);
      }
    }
  }

  /** Adds up to `wanted` to the window's count, as far as the limit lets; the count before, and how many it added. */
  async #raise(key: string, wanted: number): Promise<{ count: number; admitted: number }> {
    const { limit, windowMs, store } = this.#options;
    // Kept a window longer than it counts, then gone by itself.
    const metadata = { ttlInSeconds: String(Math.ceil((2 * windowMs) / 1000)) };
    for (let attempt = 1; attempt <= RACE_ATTEMPTS; attempt++) {
      const current = await store.get<number>(key);
      const count = current?.value ?? 0;
      const admitted = Math.max(0, Math.min(wanted, limit - count));
      if (admitted === 0) return { count, admitted };
      try {
        await store.save(key, count + admitted, current ? { etag: current.etag, metadata } : { onlyIfAbsent: true, metadata });
        return { count, admitted };
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
