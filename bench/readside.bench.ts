/**
 * The read side's model at scale, on a FerretDB of its own (127.0.0.1:27317,
 * fresh data in .dapr/bench-readside; READSIDE_MONGODB_URL names a real
 * MongoDB instead), through services/dashboard/store.ts:
 *
 * - projection: order sagas (created, processing, payment captured,
 *   confirmed) applied event by event through ReadModel.apply by 10
 *   deliveries at once, as the sidecar delivers them: events per second, and
 *   each apply's p50 and p99;
 * - search: each kind of order search, run again and again when a tenth of
 *   the orders are there (the baseline, from this run) and when all are
 *   (default 100,000; the views the projection computes for each order,
 *   written in batches), p50 and p95.
 *
 *   npm run bench:readside [-- orders]
 */
import { join, resolve } from "node:path";
import process from "node:process";
import type { OrderStatus } from "../services/contracts/api/orders.ts";
import { applyToOrder } from "../services/dashboard/projection.ts";
import type { OrderView, ProjectedEvent } from "../services/dashboard/projection.ts";
import { ReadModel } from "../services/dashboard/store.ts";
import type { OrderSearch } from "../services/dashboard/store.ts";
import { orderCreatedData, orderSnapshot } from "../tests/support/events.ts";
import { startMongo } from "../tests/support/ferretdb.ts";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../..");
const ORDERS = Number(process.argv[2] ?? 100_000);
const PROJECTED_SAGAS = 300;
const CONCURRENCY = 10;
const SKUS = 200;
const CUSTOMERS = 5000;
const START = Date.parse("2026-03-01T00:00:00.000Z");

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
const ms = (value: number) => `${value.toFixed(1)} ms`;

/** Order i's saga, ending confirmed (three in four) or failed. */
function saga(i: number): ProjectedEvent[] {
  const id = `bench-${String(i).padStart(7, "0")}`;
  const created = new Date(START + i * 1000).toISOString();
  const later = (s: number) => new Date(START + i * 1000 + s * 1000).toISOString();
  const customer = i % CUSTOMERS;
  const items = [{ sku: `SKU-${String(i % SKUS).padStart(4, "0")}`, item_name: `Item ${i % SKUS}`, quantity: 1 + (i % 3) }];
  const who = { customer_name: `Customer ${customer} Smith`, customer_email: `customer${customer}@example.com` };
  const event = (n: number, type: ProjectedEvent["type"], data: unknown, time: string) => ({ id: `${id}-e${n}`, type, time, data }) as ProjectedEvent;
  const change = (n: number, status: OrderStatus, previous: OrderStatus, s: number, extra = {}) =>
    event(n, "order.status_changed", { order_id: id, status, previous_status: previous, order: orderSnapshot(id, status, { ...who, items, created_at: created, updated_at: later(s), ...extra }) }, later(s));
  const events = [event(1, "order.created", orderCreatedData(id, { ...who, items, created_at: created }), created)];
  if (i % 4 === 3) return [...events, change(2, "failed", "pending", 1, { status_reason: "out_of_stock" })];
  const money = { total_amount: 10 + (i % 50), currency: "EUR" };
  return [
    ...events,
    change(2, "processing", "pending", 0.4, money),
    event(3, "payment.captured", { order_id: id, payment_id: `pay-${id}`, amount: money.total_amount, currency: "EUR" }, later(0.6)),
    change(4, "confirmed", "processing", 0.8, money),
  ];
}

/** The view the projection ends with for order i. */
function viewOf(i: number): OrderView {
  let view: OrderView | undefined;
  for (const event of saga(i)) view = applyToOrder(view, event).view;
  return view!;
}

async function projection(model: ReadModel): Promise<string> {
  const events = Array.from({ length: PROJECTED_SAGAS }, (_, i) => saga(ORDERS + i)).flat();
  const took: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < events.length) {
        const event = events[next++]!;
        const start = performance.now();
        await model.apply(event);
        took.push(performance.now() - start);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  took.sort((a, b) => a - b);
  return `| ${events.length} events (${PROJECTED_SAGAS} sagas), ${CONCURRENCY} at once | ${Math.round(events.length / seconds)} events/s | ${ms(percentile(took, 50))} | ${ms(percentile(took, 99))} |`;
}

/** The searches measured, for `orders` orders present. */
function searches(orders: number): Array<[string, OrderSearch]> {
  const page = { sort: "-created_at" as const, offset: 0, limit: 20 };
  const middle = Math.floor(orders / 2);
  return [
    ["newest page, no filter", page],
    ["by customer email", { ...page, customer: `customer${middle % CUSTOMERS}@example.com` }],
    ["by customer name words", { ...page, customer: `Customer ${middle % CUSTOMERS} smith` }],
    ["by SKU", { ...page, sku: `SKU-${String(middle % SKUS).padStart(4, "0")}` }],
    ["by status and a day", { ...page, status: "failed", created_from: new Date(START + middle * 1000).toISOString(), created_to: new Date(START + middle * 1000 + 86_400_000).toISOString() }],
    ["by order id (text)", { ...page, text: `bench-${String(middle).padStart(7, "0")}` }],
  ];
}

async function measureSearches(model: ReadModel, orders: number, runs: number): Promise<Map<string, { p50: number; p95: number; total: number }>> {
  const results = new Map<string, { p50: number; p95: number; total: number }>();
  for (const [name, search] of searches(orders)) {
    const took: number[] = [];
    let total = 0;
    for (let run = 0; run < runs; run++) {
      const start = performance.now();
      total = (await model.searchOrders(search)).total;
      took.push(performance.now() - start);
    }
    took.sort((a, b) => a - b);
    results.set(name, { p50: percentile(took, 50), p95: percentile(took, 95), total });
  }
  return results;
}

async function fill(model: ReadModel, from: number, to: number): Promise<number> {
  const started = performance.now();
  for (let i = from; i < to; i += 5000) {
    await model.loadOrders(Array.from({ length: Math.min(5000, to - i) }, (_, k) => viewOf(i + k)));
  }
  return (performance.now() - started) / 1000;
}

const mongo = await startMongo({ port: 27317, dataDir: join(root, ".dapr", "bench-readside", "ferretdb"), database: "bench" });
try {
  const model = await ReadModel.connect(mongo.url);
  await model.clear();
  console.log(`\nThe read side's model on ${process.env.READSIDE_MONGODB_URL ? "the MongoDB of READSIDE_MONGODB_URL" : "FerretDB (SQLite), one connection"}\n`);
  console.log("| projection | throughput | apply p50 | apply p99 |\n|---|---|---|---|");
  console.log(await projection(model));
  await model.clear();

  const baseline = Math.floor(ORDERS / 10);
  const firstFill = await fill(model, 0, baseline);
  const before = await measureSearches(model, baseline, 10);
  const secondFill = await fill(model, baseline, ORDERS);
  const after = await measureSearches(model, ORDERS, 5);
  console.log(`\nfilled ${baseline} orders in ${firstFill.toFixed(0)} s, then ${ORDERS - baseline} more in ${secondFill.toFixed(0)} s\n`);
  console.log(`| search (a page of 20, and the count) | found at ${baseline} | p50 at ${baseline} (baseline) | p95 | found at ${ORDERS} | p50 at ${ORDERS} | p95 |`);
  console.log("|---|---|---|---|---|---|---|");
  for (const [name, at] of after) {
    const base = before.get(name)!;
    console.log(`| ${name} | ${base.total} | ${ms(base.p50)} | ${ms(base.p95)} | ${at.total} | ${ms(at.p50)} | ${ms(at.p95)} |`);
  }
  await model.close();
} finally {
  await mongo.stop();
}
