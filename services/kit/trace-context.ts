/**
 * W3C trace context (traceparent/tracestate). The context of the request or
 * CloudEvent being handled lives in AsyncLocalStorage, so the Dapr adapters
 * pass it on to every outgoing call without threading it through arguments.
 * This is explicit on purpose: OpenTelemetry's Node auto-instrumentation does
 * not apply on Deno.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface TraceContext {
  traceId: string;
  /** The span of this service's work; outgoing calls name it as parent. */
  spanId: string;
  flags: string;
  traceState: string | undefined;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const storage = new AsyncLocalStorage<TraceContext>();

function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return Array.from(buf, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The context for work caused by `traceparent`: same trace, a new span. An
 * absent or invalid header starts a new trace (sampled).
 */
export function continueTrace(traceparent: string | undefined | null, tracestate?: string | null): TraceContext {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  const valid = match && match[1] !== "ff" && !/^0+$/.test(match[2]!) && !/^0+$/.test(match[3]!);
  return {
    traceId: valid ? match[2]! : randomHex(16),
    spanId: randomHex(8),
    flags: valid ? match[4]! : "01",
    traceState: valid && tracestate ? tracestate : undefined,
  };
}

/** The traceparent header value naming `ctx` as parent. */
export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.flags}`;
}

/** Runs `fn` with `ctx` as the current trace context. */
export function withTrace<T>(ctx: TraceContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The current trace context, if any work is being traced. */
export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

/** Headers that carry the current trace context to an outgoing call. */
export function traceHeaders(): Record<string, string> {
  const ctx = currentTrace();
  if (!ctx) return {};
  const headers: Record<string, string> = { traceparent: formatTraceparent(ctx) };
  if (ctx.traceState) headers.tracestate = ctx.traceState;
  return headers;
}
