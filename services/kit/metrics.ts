/**
 * Prometheus metrics: request count and latency per route and status (RED),
 * process metrics, and whatever business counters a service registers on the
 * same registry.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface HttpMetrics {
  registry: Registry;
  observe(method: string, route: string, status: number, seconds: number): void;
}

/** A registry of its own per app, so tests can build several apps in one process. */
export function createMetrics(appId: string, collectProcessMetrics = true): HttpMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ app_id: appId });
  if (collectProcessMetrics) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "http_server_requests_total",
    help: "HTTP requests handled, by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "http_server_request_duration_seconds",
    help: "HTTP request latency, by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return {
    registry,
    observe(method, route, status, seconds) {
      const labels = { method, route, status: String(status) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
  };
}
