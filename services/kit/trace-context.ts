/**
 * W3C trace context (traceparent/tracestate) and the spans of this service's
 * work. The context of the request or event being handled lives in
 * AsyncLocalStorage, so the Dapr adapters pass it on to every outgoing call
 * without threading it through arguments; spans are made through
 * @opentelemetry/api with that context as their explicit parent, which works
 * alike on Node (the SDK telemetry.ts registers) and on Deno (its built-in
 * OpenTelemetry), where OpenTelemetry's Node auto-instrumentation and
 * context manager do not apply. With no tracer registered, spans record
 * nothing and the context is still carried (a new span id per hop).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Attributes, Link, Span as OtelSpan } from "@opentelemetry/api";

export { SpanKind };

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

/** The context a traceparent header names (the caller's span), or undefined when it is absent or invalid. */
export function parseTraceparent(traceparent: string | undefined | null, tracestate?: string | null): TraceContext | undefined {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  if (!match || match[1] === "ff" || /^0+$/.test(match[2]!) || /^0+$/.test(match[3]!)) return undefined;
  return { traceId: match[2]!, spanId: match[3]!, flags: match[4]!, traceState: tracestate || undefined };
}

/**
 * The context for work caused by `traceparent`: same trace, a new span. An
 * absent or invalid header starts a new trace (sampled).
 */
export function continueTrace(traceparent: string | undefined | null, tracestate?: string | null): TraceContext {
  const parent = parseTraceparent(traceparent, tracestate);
  return { traceId: parent?.traceId ?? randomHex(16), spanId: randomHex(8), flags: parent?.flags ?? "01", traceState: parent?.traceState };
}

/** A span of this service's work: its context (for logs and outgoing calls), attributes, outcome. */
export interface Span {
  readonly trace: TraceContext;
  /** Whether a tracer records it (false when tracing is off). */
  readonly recording: boolean;
  setAttributes(attributes: Attributes): void;
  updateName(name: string): void;
  /** Marks the span failed, with the error when there is one. */
  fail(err?: unknown): void;
  end(): void;
}

export interface SpanOptions {
  kind: SpanKind;
  attributes?: Attributes;
  /** The span this one is part of; none starts a new trace. */
  parent?: TraceContext | undefined;
  /** Spans this one follows from without being their child (an event's producer). */
  links?: TraceContext[];
}

const remote = (ctx: TraceContext) => ({ traceId: ctx.traceId, spanId: ctx.spanId, traceFlags: Number.parseInt(ctx.flags, 16), isRemote: true });

/** Starts a span (through @opentelemetry/api's global tracer) as a child of `options.parent`. */
export function startSpan(name: string, options: SpanOptions): Span {
  const parent = options.parent;
  const context = parent ? trace.setSpanContext(ROOT_CONTEXT, remote(parent)) : ROOT_CONTEXT;
  const links: Link[] = (options.links ?? []).map((ctx) => ({ context: remote(ctx) }));
  const span: OtelSpan = trace.getTracer("logistics").startSpan(name, { kind: options.kind, attributes: options.attributes, links }, context);
  const recording = span.isRecording();
  const own = span.spanContext();
  const traceContext: TraceContext = recording
    ? { traceId: own.traceId, spanId: own.spanId, flags: own.traceFlags.toString(16).padStart(2, "0"), traceState: parent?.traceState }
    : { traceId: parent?.traceId ?? randomHex(16), spanId: randomHex(8), flags: parent?.flags ?? "01", traceState: parent?.traceState };
  return {
    trace: traceContext,
    recording,
    setAttributes: (attributes) => void span.setAttributes(attributes),
    updateName: (newName) => void span.updateName(newName),
    fail(err) {
      if (err instanceof Error) span.recordException(err);
      span.setStatus({ code: SpanStatusCode.ERROR, ...(err instanceof Error ? { message: err.message } : {}) });
    },
    end: () => span.end(),
  };
}

/**
 * Runs `work` in a span that is a child of the current context (or starts a
 * trace), as the current context, ending it when the work settles; a thrown
 * error marks it failed.
 */
export async function inSpan<T>(name: string, options: Omit<SpanOptions, "parent">, work: (span: Span) => Promise<T>): Promise<T> {
  const span = startSpan(name, { ...options, parent: currentTrace() });
  try {
    return await withTrace(span.trace, () => work(span));
  } catch (err) {
    span.fail(err);
    throw err;
  } finally {
    span.end();
  }
}

/** The traceparent header value naming `ctx` as parent. */
export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.flags}`;
}

/** Runs `fn` with `ctx` as the current trace context. */
export function withTrace<T>(ctx: TraceContext, fn: () => T): T {
  // Also OpenTelemetry's active context, for whatever instruments the runtime
  // itself: Deno's fetch spans (and the traceparent they send) follow it. On
  // Node no context manager is registered and this does nothing.
  return context.with(trace.setSpanContext(ROOT_CONTEXT, remote(ctx)), () => storage.run(ctx, fn));
}

/** The current trace context, if any work is being traced. */
export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}

/** Headers that carry a trace context (by default the current one) to an outgoing call. */
export function traceHeaders(ctx: TraceContext | undefined = currentTrace()): Record<string, string> {
  if (!ctx) return {};
  const headers: Record<string, string> = { traceparent: formatTraceparent(ctx) };
  if (ctx.traceState) headers.tracestate = ctx.traceState;
  return headers;
}
