#!/usr/bin/env node
// One trace from Jaeger, in the terminal: found by its id (the trace_id of any
// log line) or by an order's id (the spans of the events about an order carry
// it as logistics.order.id; an order placed and then cancelled has several
// traces: the first is shown, the others are named).
//   npm run trace -- <trace id | order id> [--summary] [--json] [--jaeger http://127.0.0.1:16686]
// Prints the spans as a tree, each with its start after the trace's first span
// and its duration, and who recorded it: an app, or its sidecar, "(daprd)".
// --summary: each service's spans of one name together, counted and summed.
// --json: the trace as Jaeger's API gives it (any Jaeger UI opens the file).
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

/** Who recorded a span: the app (the kit's spans, and on Deno the runtime's own) or its sidecar (Dapr's instrumentation scope). */
export function recorder(trace, span) {
  const sidecar = span.tags.some((t) => t.key === "otel.scope.name" && t.value === "dapr-diagnostics");
  return `${trace.processes[span.processID].serviceName}${sidecar ? " (daprd)" : ""}`;
}

/** The span a span is a child of (Jaeger writes the parent as a CHILD_OF reference). */
export const parentOf = (span) => span.references.find((r) => r.refType === "CHILD_OF")?.spanID;

async function get(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()).data;
}

/** The trace of a trace id, or undefined when Jaeger has none. */
export async function traceById(jaeger, traceId) {
  return (await get(`${jaeger}/api/traces/${traceId}`))?.[0];
}

/** An order's traces (the spans of the events about it name it), the first begun first. */
export async function tracesOfOrder(jaeger, orderId, lookbackHours = 48) {
  const services = (await get(`${jaeger}/api/services`)) ?? [];
  const end = Date.now() * 1000;
  const found = new Map();
  for (const service of services) {
    const query = new URLSearchParams({
      service,
      tags: JSON.stringify({ "logistics.order.id": orderId }),
      start: String(end - lookbackHours * 3600e6),
      end: String(end),
      limit: "20",
    });
    for (const trace of (await get(`${jaeger}/api/traces?${query}`)) ?? []) found.set(trace.traceID, trace);
  }
  const begun = (trace) => Math.min(...trace.spans.map((s) => s.startTime));
  // A search answers with the spans it matched; the whole trace is asked for by id.
  const ids = [...found.values()].sort((a, b) => begun(a) - begun(b)).map((t) => t.traceID);
  return (await Promise.all(ids.map((id) => traceById(jaeger, id)))).filter(Boolean);
}

const ms = (micros) => `${(micros / 1000).toFixed(1)} ms`;

/** The spans as a tree: start after the trace's first span, duration, recorder, name. */
export function treeLines(trace) {
  const spans = [...trace.spans].sort((a, b) => a.startTime - b.startTime);
  const ids = new Set(spans.map((s) => s.spanID));
  const children = new Map();
  for (const span of spans) {
    const parent = ids.has(parentOf(span) ?? "") ? parentOf(span) : "";
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const start = spans[0]?.startTime ?? 0;
  const lines = [];
  const walk = (span, depth) => {
    lines.push(`${ms(span.startTime - start).padStart(10)} ${ms(span.duration).padStart(10)}  ${"  ".repeat(depth)}${recorder(trace, span)}: ${span.operationName}`);
    for (const child of children.get(span.spanID) ?? []) walk(child, depth + 1);
  };
  // The roots: spans whose parent is outside the trace (the caller's).
  for (const root of children.get("") ?? []) walk(root, 0);
  return [`${"start".padStart(10)} ${"duration".padStart(10)}  span`, ...lines];
}

/** Each service's spans of one name together (state calls are many), in the order they began. */
export function summaryLines(trace) {
  const groups = new Map();
  for (const span of [...trace.spans].sort((a, b) => a.startTime - b.startTime)) {
    const key = `${recorder(trace, span).padEnd(22)} ${span.operationName.replace(/\/[a-z-]+:[^/]*$/, "/…")}`;
    const group = groups.get(key) ?? { count: 0, micros: 0 };
    group.count += 1;
    group.micros += span.duration;
    groups.set(key, group);
  }
  return [
    `${"service".padEnd(22)} ${"span".padEnd(47)} ${"n".padStart(4)} ${"duration".padStart(12)}`,
    ...[...groups].map(([key, g]) => `${key.padEnd(70)} ${String(g.count).padStart(4)} ${ms(g.micros).padStart(12)}`),
  ];
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      jaeger: { type: "string", default: process.env.JAEGER_URL ?? "http://127.0.0.1:16686" },
      summary: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  const [id] = positionals;
  if (!id) {
    console.error("usage: npm run trace -- <trace id | order id> [--summary] [--json] [--jaeger URL]");
    process.exit(2);
  }
  let trace;
  let others = [];
  if (/^[0-9a-f]{32}$/i.test(id)) {
    trace = await traceById(values.jaeger, id.toLowerCase());
  } else {
    [trace, ...others] = await tracesOfOrder(values.jaeger, id);
  }
  if (!trace) {
    console.error(`Jaeger at ${values.jaeger} has no trace for ${id} (it keeps traces in memory: a restart forgets them)`);
    process.exit(1);
  }
  if (values.json) {
    console.log(JSON.stringify({ data: [trace] }, null, 1));
    return;
  }
  const services = new Set(trace.spans.map((s) => recorder(trace, s)));
  console.log(`trace ${trace.traceID}: ${trace.spans.length} spans from ${services.size} apps and sidecars`);
  if (others.length > 0) console.log(`the order's later traces: ${others.map((t) => t.traceID).join(", ")}`);
  console.log((values.summary ? summaryLines(trace) : treeLines(trace)).join("\n"));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err.message);
    process.exit(1);
  });
}
