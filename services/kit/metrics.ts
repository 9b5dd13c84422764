/**
 * Prometheus metrics: request count and latency per route and status (RED),
 * process metrics, and whatever business counters a service registers on the
 * same registry.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

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

/** One value of a metric read from state, with its labels. */
export type Reading<L extends string> = [labels: Partial<Record<L, string>>, value: number];

export interface StateMetricOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /**
   * "counter" for a count that only grows (orders created): exposed as a
   * Prometheus counter whose value is the stored count, so it does not
   * start again from zero when the process does.
   */
  kind?: "gauge" | "counter";
  /** Reads the current values (every scrape). */
  read(): Promise<Array<Reading<L>>>;
  /** Told when a read fails (the last values stay). */
  onError?(err: unknown): void;
}

/**
 * A metric read from the service's own state at each scrape, not counted in
 * memory: it holds across restarts, and every replica of the service says
 * the same (aggregate with max, not sum). A read that fails keeps the last
 * values and counts in logistics_metric_reads_failed_total.
 */
export function stateMetric<L extends string>(registry: Registry, options: StateMetricOptions<L>): void {
  const failures = readFailures(registry);
  const labelNames = options.labelNames ?? [];
  const collect = async function (this: Gauge<L> | Counter<L>) {
    let readings: Array<Reading<L>>;
    try {
      readings = await options.read();
    } catch (err) {
      failures.inc({ metric: options.name });
      options.onError?.(err);
      return;
    }
    this.reset();
    for (const [labels, value] of readings) {
      if (this instanceof Gauge) this.set(labels, value);
      else this.inc(labels, value);
    }
  };
  if (options.kind === "counter") new Counter({ name: options.name, help: options.help, labelNames, registers: [registry], collect });
  else new Gauge({ name: options.name, help: options.help, labelNames, registers: [registry], collect });
}

/**
 * The metric `name` of `registry`, made by `make` the first time it is asked
 * for: parts of one app that share a metric (the subscriptions and the
 * dead-letter routes, say) each ask, and one is registered.
 */
export function registeredOnce<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

function readFailures(registry: Registry): Counter<"metric"> {
  const name = "logistics_metric_reads_failed_total";
  return registeredOnce(registry, name, () => new Counter({ name, help: "Reads of a state-backed metric that failed (its last values were kept)", labelNames: ["metric"] as const, registers: [registry] }));
}
