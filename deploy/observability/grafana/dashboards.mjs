#!/usr/bin/env node
// Writes the Grafana dashboards of deploy/observability/grafana/dashboards/
// from the compact definitions below (edit these, then run
// `node deploy/observability/grafana/dashboards.mjs`; a unit test fails when
// the JSON and this file drift apart). Every query reads the Prometheus data
// source the provisioning names (uid "prometheus"); npm test runs each one
// against a live Prometheus after the end-to-end suite and fails on a query
// that returns no series.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const DATASOURCE = { type: "prometheus", uid: "prometheus" };
const here = dirname(fileURLToPath(import.meta.url));

/** A time-series panel: [expr, legend] pairs, a unit, and its width (of 24). */
const graph = (title, unit, targets, width = 12, description = undefined) => ({ kind: "timeseries", title, unit, targets, width, description });
/** A single value. */
const stat = (title, unit, targets, width = 6, description = undefined) => ({ kind: "stat", title, unit, targets, width, description });

const APP = { name: "app_id", label: "Service", query: "label_values(http_server_requests_total, app_id)" };

/** The dashboards: uid, title, variables, rows of panels. */
export const DASHBOARDS = [
  {
    uid: "logistics-overview",
    title: "Logistics: overview",
    description: "Is the platform healthy? Orders, the saga's latency, errors and what waits for an operator.",
    panels: [
      stat("Orders created", "short", [["max(logistics_orders_created_total)", "orders"]], 6, "All orders ever created, from the order service's state."),
      stat("Orders per minute", "short", [["60 * max(rate(logistics_orders_created_total[5m]))", "per minute"]]),
      stat("Saga p99 (created → confirmed)", "s", [["logistics:saga_duration_seconds:p99_5m", "p99"]]),
      stat("Dead letters kept", "short", [["sum(max by (app_id, topic) (logistics_dead_letters))", "dead letters"]], 6, "Events no service could apply: GET /dead-letters on the app."),
      graph("Orders by status", "short", [["logistics:orders:by_status", "{{status}}"]], 12, "Orders in each status now, from the order service's state."),
      graph("Server errors (5xx share of requests)", "percentunit", [["logistics:http_errors:ratio_rate5m", "{{app_id}}"]]),
      graph("Requests per second by service", "reqps", [["logistics:http_requests:rate5m", "{{app_id}}"]]),
      graph("Services and sidecars up", "short", [["up", "{{job}} {{app_id}}"]]),
    ],
  },
  {
    uid: "logistics-saga",
    title: "Logistics: saga",
    description: "Order → inventory → payment → tracking: how long it takes, how it ends, and the money and stock it moves.",
    panels: [
      graph("Saga duration (created → confirmed)", "s", [
        ['histogram_quantile(0.5, sum by (le) (rate(logistics_saga_duration_seconds_bucket{outcome="confirmed"}[5m])))', "p50"],
        ['histogram_quantile(0.9, sum by (le) (rate(logistics_saga_duration_seconds_bucket{outcome="confirmed"}[5m])))', "p90"],
        ["logistics:saga_duration_seconds:p99_5m", "p99"],
      ]),
      graph("Sagas ended per second", "ops", [["logistics:sagas:rate5m", "{{outcome}}"]]),
      graph("Confirmations slower than 2 s (SLO: under 1 %)", "percentunit", [
        ["logistics:saga_slow:ratio_rate5m", "5 min"],
        ["logistics:saga_slow:ratio_rate1h", "1 h"],
      ]),
      graph("Payments per second by outcome", "ops", [["sum by (outcome) (rate(logistics_payments_total[5m]))", "{{outcome}}"]]),
      graph("Amount paid per minute by outcome", "short", [["60 * sum by (outcome, currency) (rate(logistics_payments_amount_total[5m]))", "{{outcome}} ({{currency}})"]]),
      graph("Stock available by SKU", "short", [["max by (sku) (logistics_stock_available)", "{{sku}}"]]),
      graph("Low-stock alerts by SKU (last hour)", "short", [["sum by (sku) (increase(logistics_low_stock_events_total[1h]))", "{{sku}}"]]),
      graph("Event lag p99 (published → delivered)", "s", [["logistics:event_lag_seconds:p99_5m", "{{app_id}} ← {{topic}}"]]),
    ],
  },
  {
    uid: "logistics-services",
    title: "Logistics: service RED",
    description: "Rate, errors and duration of one service's routes and events.",
    variables: [APP],
    panels: [
      graph("Requests per second by route", "reqps", [['sum by (method, route) (rate(http_server_requests_total{app_id=~"$app_id"}[5m]))', "{{method}} {{route}}"]]),
      graph("Errors per second by route and status", "reqps", [['sum by (route, status) (rate(http_server_requests_total{app_id=~"$app_id",status=~"[45].."}[5m]))', "{{route}} {{status}}"]]),
      graph("Latency by route", "s", [
        ['histogram_quantile(0.5, sum by (route, le) (rate(http_server_request_duration_seconds_bucket{app_id=~"$app_id"}[5m])))', "p50 {{route}}"],
        ['histogram_quantile(0.99, sum by (route, le) (rate(http_server_request_duration_seconds_bucket{app_id=~"$app_id"}[5m])))', "p99 {{route}}"],
      ]),
      graph("Event deliveries by outcome", "ops", [['sum by (topic, outcome) (logistics:event_deliveries:rate5m{app_id=~"$app_id"})', "{{topic}} {{outcome}}"]]),
      graph("Redeliveries per second", "ops", [['logistics:event_redeliveries:rate5m{app_id=~"$app_id"}', "{{topic}}"]]),
      graph("Memory (resident)", "bytes", [['process_resident_memory_bytes{job="apps",app_id=~"$app_id"}', "{{app_id}}"]]),
    ],
  },
  {
    uid: "logistics-dapr",
    title: "Logistics: Dapr sidecars",
    description: "What each sidecar does for its app: API calls, service invocation, state, and its own health.",
    variables: [APP],
    panels: [
      graph("Sidecar HTTP API calls per second", "reqps", [['sum by (app_id, method) (rate(dapr_http_server_request_count{app_id=~"$app_id"}[5m]))', "{{app_id}} {{method}}"]]),
      graph("Sidecar HTTP API latency p99", "ms", [['histogram_quantile(0.99, sum by (app_id, le) (rate(dapr_http_server_latency_bucket{app_id=~"$app_id"}[5m])))', "{{app_id}}"]]),
      graph("State operations per second", "ops", [['sum by (app_id, operation, success) (rate(dapr_component_state_count{app_id=~"$app_id"}[5m]))', "{{app_id}} {{operation}} ok={{success}}"]]),
      graph("State latency p99", "ms", [['histogram_quantile(0.99, sum by (app_id, operation, le) (rate(dapr_component_state_latencies_bucket{app_id=~"$app_id"}[5m])))', "{{app_id}} {{operation}}"]]),
      graph("Service invocation requests sent per second", "reqps", [['sum by (app_id, dest_app_id) (rate(dapr_runtime_service_invocation_req_sent_total{app_id=~"$app_id"}[5m]))', "{{app_id}} → {{dest_app_id}}"]]),
      graph("Resiliency policies applied per second", "ops", [['sum by (app_id, policy) (rate(dapr_resiliency_count{app_id=~"$app_id"}[5m]))', "{{app_id}} {{policy}}"]]),
      graph("Components loaded", "short", [['sum by (app_id) (dapr_runtime_component_loaded{app_id=~"$app_id"})', "{{app_id}}"]]),
      graph("Sidecar memory (resident)", "bytes", [['process_resident_memory_bytes{job="daprd",app_id=~"$app_id"}', "{{app_id}}"]]),
    ],
  },
  {
    uid: "logistics-brokers",
    title: "Logistics: brokers",
    description: "The pub/sub component as the sidecars see it, whichever broker it is: publishes, deliveries, their latency and failures.",
    panels: [
      graph("Published per second by topic", "ops", [["sum by (topic) (rate(dapr_component_pubsub_egress_count[5m]))", "{{topic}}"]]),
      graph("Publish latency p99 by topic", "ms", [["histogram_quantile(0.99, sum by (topic, le) (rate(dapr_component_pubsub_egress_latencies_bucket[5m])))", "{{topic}}"]]),
      graph("Delivered per second by app and outcome", "ops", [["sum by (app_id, process_status) (rate(dapr_component_pubsub_ingress_count[5m]))", "{{app_id}} {{process_status}}"]]),
      graph("Delivery processing latency p99 by app", "ms", [["histogram_quantile(0.99, sum by (app_id, le) (rate(dapr_component_pubsub_ingress_latencies_bucket[5m])))", "{{app_id}}"]]),
      graph("Publishes per second by app and success", "ops", [["sum by (app_id, success) (rate(dapr_component_pubsub_egress_count[5m]))", "{{app_id}} ok={{success}}"]]),
      graph("Backlog: redeliveries and lag", "short", [
        ["sum by (topic) (logistics:event_redeliveries:rate5m)", "redeliveries/s {{topic}}"],
        ["max by (topic) (logistics:event_lag_seconds:p99_5m)", "lag p99 (s) {{topic}}"],
      ]),
    ],
  },
];

/** The Grafana JSON of one dashboard. */
export function dashboardJson(spec) {
  let x = 0;
  let y = 0;
  let id = 0;
  const panels = spec.panels.map((panel) => {
    const h = panel.kind === "stat" ? 4 : 8;
    if (x + panel.width > 24) {
      x = 0;
      y += 8;
    }
    const gridPos = { x, y, w: panel.width, h };
    x += panel.width;
    id += 1;
    return {
      id,
      type: panel.kind,
      title: panel.title,
      ...(panel.description ? { description: panel.description } : {}),
      datasource: DATASOURCE,
      gridPos,
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      options: panel.kind === "stat" ? { reduceOptions: { calcs: ["lastNotNull"] }, graphMode: "area" } : { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
      targets: panel.targets.map(([expr, legendFormat], i) => ({ refId: String.fromCharCode(65 + i), datasource: DATASOURCE, expr, legendFormat })),
    };
  });
  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: ["logistics"],
    editable: false,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    templating: {
      list: (spec.variables ?? []).map((v) => ({
        name: v.name,
        label: v.label,
        type: "query",
        datasource: DATASOURCE,
        query: { query: v.query, refId: "variable" },
        definition: v.query,
        includeAll: true,
        allValue: ".+",
        multi: true,
        current: { selected: true, text: ["All"], value: ["$__all"] },
        refresh: 2,
        sort: 1,
      })),
    },
    annotations: { list: [] },
    panels,
  };
}

/** The file of each dashboard and its text. */
export function dashboardFiles() {
  return DASHBOARDS.map((spec) => ({ file: join(here, "dashboards", `${spec.uid.replace(/^logistics-/, "")}.json`), text: `${JSON.stringify(dashboardJson(spec), null, 2)}\n` }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  mkdirSync(join(here, "dashboards"), { recursive: true });
  for (const { file, text } of dashboardFiles()) writeFileSync(file, text);
  console.log(`wrote ${DASHBOARDS.length} dashboards to ${join(here, "dashboards")}`);
}
