/**
 * What every answer of the gateway carries, and what browsers on other
 * origins may do with it:
 * - security headers for an API that serves JSON only (nothing may frame,
 *   sniff, cache or embed it; HSTS when the gateway is reached over HTTPS);
 * - CORS, off unless CORS_ORIGINS lists the origins allowed: their
 *   preflights are answered here (no credentials needed) with the methods
 *   the path takes, and their answers expose the headers a client reads.
 */
import type Koa from "koa";
import type { Routes } from "./routing.ts";

export interface EdgeConfig {
  /** Origins (scheme://host[:port]) browsers may call from; `*` for any; empty: CORS off. */
  corsOrigins: string[];
  /** Strict-Transport-Security max-age; 0 sends none (the gateway itself speaks plain HTTP behind TLS termination). */
  hstsMaxAgeSeconds: number;
}

/** Request headers a browser client may send. */
const CORS_REQUEST_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-API-Key, X-Request-Id, traceparent, tracestate";
/** Response headers a browser client may read, besides the CORS-safelisted ones. */
const CORS_EXPOSED_HEADERS = "Location, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, WWW-Authenticate, X-Request-Id";
const PREFLIGHT_MAX_AGE_SECONDS = 600;

export function securityHeaders(config: EdgeConfig): Koa.Middleware {
  const headers: Record<string, string> = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
  };
  if (config.hstsMaxAgeSeconds > 0) headers["Strict-Transport-Security"] = `max-age=${config.hstsMaxAgeSeconds}; includeSubDomains`;
  return async (ctx, next) => {
    // Set first, so that problems (thrown further in) carry them too.
    ctx.set(headers);
    await next();
  };
}

export function cors(config: EdgeConfig, routes: Routes): Koa.Middleware {
  const any = config.corsOrigins.includes("*");
  const allowed = new Set(config.corsOrigins);
  return async (ctx, next) => {
    const origin = ctx.get("Origin");
    if (config.corsOrigins.length > 0) ctx.vary("Origin");
    if (!origin || !(any || allowed.has(origin))) return next();
    ctx.set("Access-Control-Allow-Origin", any ? "*" : origin);
    const requested = ctx.get("Access-Control-Request-Method");
    if (ctx.method === "OPTIONS" && requested) {
      // A preflight: the methods the path takes, or a 404 the browser reports as a failed preflight.
      const methods = routes.methods(ctx.path);
      ctx.status = methods.length > 0 ? 204 : 404;
      if (methods.length > 0) {
        ctx.set("Access-Control-Allow-Methods", methods.join(", "));
        ctx.set("Access-Control-Allow-Headers", CORS_REQUEST_HEADERS);
        ctx.set("Access-Control-Max-Age", String(PREFLIGHT_MAX_AGE_SECONDS));
      }
      return;
    }
    ctx.set("Access-Control-Expose-Headers", CORS_EXPOSED_HEADERS);
    await next();
  };
}
