/**
 * One order's trace, end to end: placed through the gateway with a trace of
 * the test's own, followed by the saga through the broker, and read back
 * from the run's Jaeger. Every app on the saga's path and every sidecar
 * records spans in that one trace, each span's parent is in it, and the
 * events' consumer spans descend from the order service's work, across the
 * broker. Prints the trace as a table (service, span, duration).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { api, eventually, ledger, orderOf, orderRequest, stock, waitForStatus } from "../e2e/shop.ts";
import { system } from "../support/system-hooks.ts";

interface JaegerSpan {
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; spanID: string; traceID: string }>;
  startTime: number;
  duration: number;
  processID: string;
  tags: Array<{ key: string; value: unknown }>;
}

interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: Array<{ key: string; value: unknown }> }>;
}

async function jaegerTrace(traceId: string): Promise<JaegerTrace | undefined> {
  const response = await fetch(`${system().jaegerUrl}/api/traces/${traceId}`, { signal: AbortSignal.timeout(10_000) });
  if (response.status === 404) return undefined;
  const body = (await response.json()) as { data?: JaegerTrace[] };
  return body.data?.[0];
}

/** deploy/scripts/trace.mjs, the operator's view of a trace (npm run trace), whose reading of spans the test shares. */
interface TraceTool {
  recorder(trace: JaegerTrace, span: JaegerSpan): string;
  parentOf(span: JaegerSpan): string | undefined;
  tracesOfOrder(jaeger: string, orderId: string): Promise<JaegerTrace[]>;
  summaryLines(trace: JaegerTrace): string[];
  treeLines(trace: JaegerTrace): string[];
}
let tool: TraceTool;
const recorder = (trace: JaegerTrace, span: JaegerSpan) => tool.recorder(trace, span);
const parentOf = (span: JaegerSpan) => tool.parentOf(span);

/** The spans whose parent is not in the trace, but the root, whose parent is the test's own span (ROOT_PARENT). */
function orphansOf(trace: JaegerTrace): JaegerSpan[] {
  const ids = new Set(trace.spans.map((s) => s.spanID));
  return trace.spans.filter((s) => parentOf(s) !== ROOT_PARENT && !ids.has(parentOf(s) ?? ""));
}

const ROOT_PARENT = "1".repeat(16);
const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");
const SAGA = ["gateway", "order", "inventory", "payment", "tracking"];

describe("one order's trace in Jaeger", () => {
  before(async function () {
    if (!system().jaegerUrl) this.skip();
    tool = (await import(pathToFileURL(join(root, "deploy/scripts/trace.mjs")).href)) as TraceTool;
  });

  it("follows the order from the gateway through every app and sidecar, across the broker, in one trace", async function () {
    this.timeout(90_000);
    const traceId = crypto.getRandomValues(new Uint8Array(16)).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "");
    const sku = await stock(5, 3.5);
    const body = orderRequest([{ sku, quantity: 1 }]);
    const created = await api().post("/api/v1/orders").set("traceparent", `00-${traceId}-${ROOT_PARENT}-01`).send(body).expect(201);
    const id = (created.body as { id: string }).id;
    // Accounted for with every other order, for the invariants the end-to-end suite checks last.
    ledger.orders.set(id, { lines: body.items });
    await waitForStatus(id, "confirmed");
    // Tracking's shipment, the saga's last step, is recorded on the order.
    await eventually(() => orderOf(id), (o) => typeof o.tracking_number === "string", 30_000);

    // Every app and sidecar of the saga has sent its spans, and every span's
    // parent has arrived too: each exports in batches of its own (a sidecar's
    // every few seconds), so a child may come before its parent. If a parent
    // never comes, the check below names the orphans.
    const complete = (t: JaegerTrace | undefined) =>
      !!t &&
      SAGA.every((app) => t.spans.some((s) => recorder(t, s) === app)) &&
      SAGA.every((app) => t.spans.some((s) => recorder(t, s) === `${app} (daprd)`)) &&
      orphansOf(t).length === 0;
    const trace = await eventually(() => jaegerTrace(traceId), complete, 30_000).catch(async () => jaegerTrace(traceId));
    expect(trace, "the order's trace in Jaeger").to.not.equal(undefined);
    expect(SAGA.filter((app) => !trace!.spans.some((s) => recorder(trace!, s) === app)), "apps without spans in the trace").to.deep.equal([]);
    expect(SAGA.filter((app) => !trace!.spans.some((s) => recorder(trace!, s) === `${app} (daprd)`)), "sidecars without spans in the trace").to.deep.equal([]);
    // Kept for a look in Jaeger's format (its UI can open the file).
    mkdirSync(join(root, ".dapr", "test-artifacts"), { recursive: true });
    writeFileSync(join(root, ".dapr", "test-artifacts", "order-trace.json"), JSON.stringify({ data: [trace] }, null, 1));
    const spans = [...trace!.spans].sort((a, b) => a.startTime - b.startTime);
    const byId = new Map(spans.map((s) => [s.spanID, s]));
    console.log(`      trace ${traceId}: ${spans.length} spans (all of them in .dapr/test-artifacts/order-trace.json)\n${tool.summaryLines(trace!).map((l) => `      ${l}`).join("\n")}`);

    // One tree: every span's parent is in the trace, but the root, whose parent is the test's own span.
    expect(orphansOf(trace!).map((s) => `${recorder(trace!, s)} ${s.operationName}`), "spans whose parent is not in the trace").to.deep.equal([]);

    // The hop through the broker: inventory's consumer span descends from order's work.
    const ancestors = (s: JaegerSpan): string[] => {
      const parent = byId.get(parentOf(s) ?? "");
      return parent ? [recorder(trace!, parent), ...ancestors(parent)] : [];
    };
    const consumed = spans.find((s) => recorder(trace!, s) === "inventory" && s.operationName === "process orders");
    expect(consumed, "inventory's span of the order.created event").to.not.equal(undefined);
    expect(ancestors(consumed!)).to.include.members(["order", "gateway"]);
    // The gateway's server span is the root of the services' work, a child of the test's span.
    const top = spans.find((s) => parentOf(s) === ROOT_PARENT)!;
    expect(recorder(trace!, top)).to.match(/^gateway/);

    // npm run trace finds it by the order's id, and draws it as a tree from
    // the gateway's span (on Deno, also the runtime's own server span beside it).
    const [found] = await tool.tracesOfOrder(system().jaegerUrl!, id);
    expect(found?.traceID, "the first trace of the order, found by its id").to.equal(traceId);
    const tree = tool.treeLines(found!);
    expect(tree).to.have.length(found!.spans.length + 1);
    const roots = tree.slice(1).filter((line) => /^\s+\S+ ms\s+\S+ ms {2}\S/.test(line));
    expect(roots, "roots of the tree").to.have.length(found!.spans.filter((s) => parentOf(s) === ROOT_PARENT).length);
    for (const line of roots) expect(line, "a root of the tree").to.match(/ms {2}gateway: /);
  });
});
