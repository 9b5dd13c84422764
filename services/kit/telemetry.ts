/**
 * Where the spans of trace-context.ts go. On Node, the OpenTelemetry SDK
 * with an OTLP/HTTP exporter, registered as @opentelemetry/api's global
 * tracer provider when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT)
 * names a collector; on Deno, Deno's built-in OpenTelemetry, which serves
 * the same API when the process runs with OTEL_DENO=true (run-service.sh
 * sets it with the endpoint). OTEL_TRACES_EXPORTER=none turns tracing off;
 * OTEL_SERVICE_NAME overrides the service name (the app id).
 */
import { trace } from "@opentelemetry/api";
import type { Env } from "./config.ts";
import type { Logger } from "./logger.ts";
import { runtimeName, runtimeVersion } from "./runtime.ts";

export interface Tracing {
  /** Sends the spans still buffered (at shutdown). */
  shutdown(): Promise<void>;
}

/** The collector's traces URL the environment names, if any. */
export function tracesEndpoint(env: Env): string | undefined {
  if (env.OTEL_TRACES_EXPORTER === "none") return undefined;
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (env.OTEL_EXPORTER_OTLP_ENDPOINT) return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, "")}/v1/traces`;
  return undefined;
}

/** Starts exporting this process's spans, as the environment says; undefined when it says nothing. */
export async function startTracing(appId: string, env: Env, logger: Logger): Promise<Tracing | undefined> {
  const url = tracesEndpoint(env);
  if (!url) return undefined;
  if (runtimeName() === "deno") {
    if (env.OTEL_DENO === "true") logger.info({ endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT }, "tracing through Deno's built-in OpenTelemetry");
    else logger.warn("OTEL_EXPORTER_OTLP_ENDPOINT is set but OTEL_DENO is not: Deno records no spans");
    return undefined;
  }
  // Loaded only here: the SDK is Node's part (Deno brings its own).
  const [{ BatchSpanProcessor, TracerProvider }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/exporter-trace-otlp-http"),
    import("@opentelemetry/resources"),
  ]);
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      "service.name": env.OTEL_SERVICE_NAME ?? appId,
      "service.namespace": "logistics",
      "process.runtime.name": "nodejs",
      "process.runtime.version": runtimeVersion(),
    }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }), scheduledDelayMillis: 500 })],
  });
  trace.setGlobalTracerProvider(provider);
  logger.info({ endpoint: url }, "exporting traces over OTLP");
  return { shutdown: () => provider.shutdown() };
}
