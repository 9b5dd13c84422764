/**
 * The access log line and the RED metrics of every request, with the final
 * status (problems included), by matched route so that ids do not explode
 * the metric's label values. Probes are measured but not logged.
 */
import type { Context, Next } from "koa";
import type { HttpMetrics } from "../metrics.ts";
import { PROBES } from "./probes.ts";
import { requestLog } from "./request-context.ts";

export function accessLog(metrics: HttpMetrics) {
  return async function logAndMeasure(ctx: Context, next: Next): Promise<void> {
    const start = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - start) / 1000;
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? (ctx.status === 404 ? "unmatched" : ctx.path);
      metrics.observe(ctx.method, String(route), ctx.status, seconds);
      if (!PROBES.has(ctx.path)) {
        requestLog(ctx).info({ method: ctx.method, path: ctx.path, route, status: ctx.status, duration_ms: Math.round(seconds * 1000) }, "request");
      }
    }
  };
}
