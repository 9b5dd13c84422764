/**
 * The first middleware: a request id (the caller's, when it is sane) and the
 * W3C trace context, bound to a per-request logger that every later line uses.
 */
import type { Context, Next } from "koa";
import type { Logger } from "../logger.ts";
import { continueTrace, formatTraceparent, withTrace } from "../trace-context.ts";

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
    const trace = continueTrace(ctx.get("traceparent"), ctx.get("tracestate"));
    const state = ctx.state as RequestState;
    state.requestId = requestId;
    state.log = logger.child({ request_id: requestId, trace_id: trace.traceId, span_id: trace.spanId });
    ctx.set("x-request-id", requestId);
    ctx.set("traceparent", formatTraceparent(trace));
    await withTrace(trace, next);
  };
}

/** The per-request logger (set by requestContext). */
export function requestLog(ctx: Context): Logger {
  return (ctx.state as RequestState).log;
}
