/**
 * The Koa app every service is built from: request ids, trace context, JSON
 * request logs, RED metrics, problem+json errors, the API token check, JSON
 * bodies, /healthz, /readyz and /metrics. A service adds its routers.
 */
import Koa from "koa";
import type { Context, Next } from "koa";
import { jsonBody } from "./body.ts";
import { DaprTimeoutError, DaprUnavailableError, EtagMismatchError } from "../ports/errors.ts";
import { LockBusyError } from "../coordination/locks.ts";
import { HttpProblem, KitProblems } from "./problems.ts";
import type { Logger } from "../logger.ts";
import type { HttpMetrics } from "../metrics.ts";
import { runtimeName, runtimeVersion } from "../runtime.ts";
import { continueTrace, formatTraceparent, withTrace } from "../trace-context.ts";

/** A dependency /readyz waits for. */
export interface ReadinessCheck {
  name: string;
  /** Resolves when ready; throws (with a reason) when not. */
  check(): Promise<void>;
}

export interface AppOptions {
  appId: string;
  logger: Logger;
  metrics: HttpMetrics;
  bodyLimitBytes: number;
  /** When set, every call but the probes must carry it as dapr-api-token. */
  appApiToken?: string | undefined;
  readiness?: ReadinessCheck[];
}

/** State every request carries (ctx.state). */
export interface RequestState {
  requestId: string;
  log: Logger;
}

const PROBES = new Set(["/healthz", "/readyz", "/metrics"]);
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Constant-time comparison, so the token check leaks no timing. */
function sameToken(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

function renderProblem(ctx: Context, problem: HttpProblem): void {
  ctx.status = problem.status;
  ctx.type = "application/problem+json";
  ctx.body = problem.toDocument(ctx.originalUrl);
}

/** Builds the app; the caller mounts its routers with app.use(). */
export function createApp(options: AppOptions): Koa {
  const app = new Koa({ proxy: false });
  const started = Date.now();

  // Request id and trace context first, so that every later line can use them.
  app.use(async (ctx: Context, next: Next) => {
    const given = ctx.get("x-request-id");
    const requestId = REQUEST_ID.test(given) ? given : crypto.randomUUID();
    const trace = continueTrace(ctx.get("traceparent"), ctx.get("tracestate"));
    const state = ctx.state as RequestState;
    state.requestId = requestId;
    state.log = options.logger.child({ request_id: requestId, trace_id: trace.traceId, span_id: trace.spanId });
    ctx.set("x-request-id", requestId);
    ctx.set("traceparent", formatTraceparent(trace));
    await withTrace(trace, next);
  });

  // Access log and metrics see the final status, problems included.
  app.use(async (ctx: Context, next: Next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - start) / 1000;
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? (ctx.status === 404 ? "unmatched" : ctx.path);
      options.metrics.observe(ctx.method, String(route), ctx.status, seconds);
      if (!PROBES.has(ctx.path)) {
        (ctx.state as RequestState).log.info(
          { method: ctx.method, path: ctx.path, route, status: ctx.status, duration_ms: Math.round(seconds * 1000) },
          "request",
        );
      }
    }
  });

  // One error handler renders every failure below it.
  app.use(async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        renderProblem(ctx, new HttpProblem(KitProblems.notFound, `No resource at ${ctx.path}`));
      }
    } catch (err) {
      if (err instanceof HttpProblem) return renderProblem(ctx, err);
      if (err instanceof LockBusyError || err instanceof EtagMismatchError) {
        // Another writer holds the same aggregate: nothing was changed; try again.
        ctx.set("Retry-After", "1");
        return renderProblem(ctx, new HttpProblem(KitProblems.busy, "The resource is being changed by another request; retry shortly"));
      }
      if (err instanceof DaprUnavailableError) {
        // The call did not get through: nothing changed, so a retry is safe.
        (ctx.state as RequestState).log.error({ err: err.message }, "sidecar unavailable");
        ctx.set("Retry-After", "1");
        return renderProblem(ctx, new HttpProblem(KitProblems.unavailable, "A dependency is unavailable; retry shortly"));
      }
      if (err instanceof DaprTimeoutError) {
        // The outcome is unknown: not a 503, which callers (and Dapr) retry blindly.
        (ctx.state as RequestState).log.error({ err: err.message }, "dependency timed out");
        return renderProblem(ctx, new HttpProblem(KitProblems.dependencyTimeout, "A dependency did not answer in time; the outcome is unknown"));
      }
      const status = (err as { status?: number }).status;
      if (typeof status === "number" && status >= 400 && status < 500 && (err as { expose?: boolean }).expose) {
        const kind = { type: `http-${status}`, title: (err as Error).message, status };
        return renderProblem(ctx, new HttpProblem(kind));
      }
      (ctx.state as RequestState).log.error({ err }, "unhandled error");
      renderProblem(ctx, new HttpProblem(KitProblems.internal, "The request could not be completed"));
    }
  });

  if (options.appApiToken) {
    const token = options.appApiToken;
    app.use(async (ctx: Context, next: Next) => {
      if (!PROBES.has(ctx.path) && !sameToken(ctx.get("dapr-api-token"), token)) {
        throw new HttpProblem(KitProblems.unauthorized, "Calls to this app must carry its dapr-api-token");
      }
      await next();
    });
  }

  app.use(jsonBody(options.bodyLimitBytes));

  app.use(async (ctx: Context, next: Next) => {
    if (ctx.method !== "GET" && ctx.method !== "HEAD") return next();
    if (ctx.path === "/healthz") {
      ctx.body = {
        status: "ok",
        app_id: options.appId,
        runtime: runtimeName(),
        runtime_version: runtimeVersion(),
        uptime_seconds: Math.round((Date.now() - started) / 1000),
      };
      return;
    }
    if (ctx.path === "/readyz") {
      const results = await Promise.all(
        (options.readiness ?? []).map(async (dep) => {
          try {
            await dep.check();
            return [dep.name, { status: "ok" }] as const;
          } catch (err) {
            return [dep.name, { status: "down", reason: (err as Error).message }] as const;
          }
        }),
      );
      const ready = results.every(([, result]) => result.status === "ok");
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? "ok" : "unavailable", checks: Object.fromEntries(results) };
      return;
    }
    if (ctx.path === "/metrics") {
      ctx.type = options.metrics.registry.contentType;
      ctx.body = await options.metrics.registry.metrics();
      return;
    }
    return next();
  });

  // Koa logs errors itself unless told otherwise; ours are logged above.
  app.silent = true;
  return app;
}

/** The per-request logger (set by createApp). */
export function requestLog(ctx: Context): Logger {
  return (ctx.state as RequestState).log;
}
