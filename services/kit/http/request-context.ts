/**
 * The first middleware: a request id (the caller's, when it is sane) and the
 * W3C trace context, bound to a per-request logger that every later line
 * uses. Each request but the probes is a server span named by its route
 * (OpenTelemetry's HTTP conventions), a child of the caller's traceparent.
 */
import type { Context, Next } from "koa";
import type { Logger } from "../logger.ts";
import { continueTrace, formatTraceparent, parseTraceparent, SpanKind, startSpan, withTrace } from "../trace-context.ts";
import { PROBES } from "./probes.ts";

/** State every request carries (ctx.state). */
export interface RequestState {
  requestId: string;
  log: Logger;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function requestContext(logger: Logger) {
  return async function bindRequest(ctx: Context, next: Next): Promise<void> {
    const given = ctx.get("x-request-id");
    const requestId = REQUEST_ID.test(given) ? given : crypto.randomUUID();
    // Probes (Dapr's health checks every few seconds, Prometheus's scrapes) make no spans.
    const span = PROBES.has(ctx.path)
      ? undefined
      : startSpan(ctx.method, {
          kind: SpanKind.SERVER,
          parent: parseTraceparent(ctx.get("traceparent"), ctx.get("tracestate")),
          attributes: { "http.request.method": ctx.method, "url.path": ctx.path, "url.scheme": "http" },
        });
    const trace = span?.trace ?? continueTrace(ctx.get("traceparent"), ctx.get("tracestate"));
    const state = ctx.state as RequestState;
    state.requestId = requestId;
    state.log = logger.child({ request_id: requestId, trace_id: trace.traceId, span_id: trace.spanId });
    ctx.set("x-request-id", requestId);
    ctx.set("traceparent", formatTraceparent(trace));
    try {
      await withTrace(trace, next);
    } catch (err) {
      span?.fail(err);
      throw err;
    } finally {
      if (span) {
        // The route template (never the path, whose ids would make every span's name unique).
        const route = (ctx as Context & { _matchedRoute?: string | RegExp })._matchedRoute;
        if (typeof route === "string") {
          span.updateName(`${ctx.method} ${route}`);
          span.setAttributes({ "http.route": route });
        }
        span.setAttributes({ "http.response.status_code": ctx.status });
        if (ctx.status >= 500) span.fail();
        span.end();
      }
    }
  };
}

/** The per-request logger (set by requestContext). */
export function requestLog(ctx: Context): Logger {
  return (ctx.state as RequestState).log;
}
