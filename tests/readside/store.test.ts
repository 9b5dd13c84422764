/**
 * The dashboard's read model (services/dashboard/store.ts) through mongoose
 * against a real MongoDB-compatible server: FerretDB, which this file starts
 * on its own port and data (deploy/scripts/server.sh ferretdb), or the
 * MongoDB that READSIDE_MONGODB_URL names.
 */
import { join, resolve } from "node:path";
import process from "node:process";
import { expect } from "chai";
import type { OrderStatus } from "../../services/contracts/api/orders.ts";
import { applyToOrder, orderIdOf } from "../../services/dashboard/projection.ts";
import type { OrderView, ProjectedEvent } from "../../services/dashboard/projection.ts";
import { ReadModel } from "../../services/dashboard/store.ts";
import type { OrderSearch } from "../../services/dashboard/store.ts";
import { orderCreatedData, orderSnapshot } from "../support/events.ts";
import { startMongo } from "../support/ferretdb.ts";
import type { MongoForTests } from "../support/ferretdb.ts";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");
const PORT = Number(process.env.READSIDE_FERRETDB_PORT ?? 27117);
const NOW = new Date("2026-03-01T10:00:00.000Z");
const at = (secondsBeforeNow: number) => new Date(NOW.getTime() - secondsBeforeNow * 1000).toISOString();

let ids = 0;
function ev(type: ProjectedEvent["type"], data: unknown, time: string): ProjectedEvent {
  return { id: `e${++ids}`, type, time, data } as ProjectedEvent;
}

/** Every event of one order's saga: placed `age` seconds ago, confirmed `sagaSeconds` later (or failed). */
function saga(orderId: string, options: { age: number; sagaSeconds: number; name: string; email: string; sku: string; amount: number; outcome: "confirmed" | "failed" | "shipped"; courier?: string }): ProjectedEvent[] {
  const created = at(options.age);
  const later = (s: number) => at(options.age - s);
  const snapshot = (status: OrderStatus, s: number, extra = {}) =>
    orderSnapshot(orderId, status, { customer_name: options.name, customer_email: options.email, items: [{ sku: options.sku, item_name: options.sku, quantity: 1 }], created_at: created, updated_at: later(s), ...extra });
  const change = (status: OrderStatus, previous: OrderStatus, s: number, extra = {}) =>
    ev("order.status_changed", { order_id: orderId, status, previous_status: previous, order: snapshot(status, s, extra) }, later(s));
  const events = [
    ev("order.created", orderCreatedData(orderId, { customer_name: options.name, customer_email: options.email, items: [{ sku: options.sku, item_name: options.sku, quantity: 1 }], created_at: created }), created),
  ];
  if (options.outcome === "failed") return [...events, change("failed", "pending", 1, { status_reason: "out_of_stock" })];
  const money = { total_amount: options.amount, currency: "EUR" };
  events.push(
    change("processing", "pending", 1, money),
    ev("payment.captured", { order_id: orderId, payment_id: `pay-${orderId}`, amount: options.amount, currency: "EUR" }, later(options.sagaSeconds - 0.5)),
    change("confirmed", "processing", options.sagaSeconds, money),
  );
  if (options.outcome === "shipped") {
    events.push(
      ev("shipment.created", { order_id: orderId, shipment_id: `shp-${orderId}`, tracking_number: `TRK-${orderId}`, courier: options.courier ?? "ada", estimated_delivery: later(86400) }, later(options.sagaSeconds + 1)),
      change("shipped", "confirmed", options.sagaSeconds + 2, money),
      ev("shipment.status_changed", { order_id: orderId, shipment_id: `shp-${orderId}`, tracking_number: `TRK-${orderId}`, status: "picked_up", at: later(options.sagaSeconds + 2) }, later(options.sagaSeconds + 2)),
    );
  }
  return events;
}

/** A shuffle that is the same on every run. */
function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const search = (filters: Partial<OrderSearch>): OrderSearch => ({ sort: "-created_at", offset: 0, limit: 10, ...filters });

describe("the dashboard's read model on a MongoDB-compatible server (mongoose)", function () {
  this.timeout(60_000);
  let mongo: MongoForTests | undefined;
  let model: ReadModel;

  before(async function () {
    this.timeout(300_000);
    mongo = await startMongo({ port: PORT, dataDir: join(root, ".dapr", "test-readside", "ferretdb"), database: "readside" });
    model = await ReadModel.connect(mongo.url);
    await model.clear();
  });

  after(async () => {
    await model?.close();
    await mongo?.stop();
  });

  it("makes the indexes the searches use", async () => {
    expect(await model.orderIndexes()).to.include.members([
      "_id_",
      "created_at_-1",
      "status_1_created_at_-1",
      "customer_email_1_created_at_-1",
      "skus_1_created_at_-1",
      "terms_1",
    ]);
  });

  describe("after 30 orders' events, shuffled and half of them delivered twice", () => {
    /** Each order's view as the projection makes it in memory from the same deliveries, one by one. */
    const expected = new Map<string, OrderView>();
    before(async function () {
      this.timeout(120_000);
      const events: ProjectedEvent[] = [];
      for (let i = 0; i < 30; i++) {
        const outcome = i % 5 === 4 ? "failed" : i % 3 === 0 ? "shipped" : "confirmed";
        events.push(
          ...saga(`o${String(i).padStart(2, "0")}`, {
            age: 3000 - i * 60,
            sagaSeconds: 1 + (i % 4),
            name: i % 2 ? "Ada Lovelace" : "Grace Hopper",
            email: i % 2 ? "Ada@Example.com" : "grace@example.com",
            sku: `SKU-${i % 3}`,
            amount: 10,
            outcome,
            courier: i % 2 ? "linus" : "margaret",
          }),
        );
      }
      // An older order, outside the last hour.
      events.push(...saga("old", { age: 7200, sagaSeconds: 2, name: "Old Timer", email: "old@example.com", sku: "SKU-0", amount: 99, outcome: "confirmed" }));
      events.push(ev("inventory.stock_changed", { sku: "SKU-1", on_hand: 10, reserved: 8, available: 2 }, at(10)));
      events.push(ev("inventory.low_stock", { sku: "SKU-1", item_name: "Widget", available: 2, low_stock_threshold: 3 }, at(10)));
      const deliveries = shuffled([...events, ...events.filter((_, i) => i % 2 === 0)]);
      for (const event of deliveries) {
        const orderId = orderIdOf(event);
        if (orderId) expected.set(orderId, applyToOrder(expected.get(orderId), event).view);
      }
      // Several at once, as a subscription with concurrency delivers them:
      // views written by two deliveries at a time must lose nothing.
      for (let i = 0; i < deliveries.length; i += 8) await Promise.all(deliveries.slice(i, i + 8).map((e) => model.apply(e)));
    });

    it("holds for every order the view the projection makes of the same events in memory", async () => {
      const stored = (await model.searchOrders(search({ limit: 100 }))).items;
      expect(stored).to.have.length(expected.size);
      const comparable = (view: OrderView) => {
        const { applied: _applied, terms: _terms, counted: _counted, ...rest } = view;
        return JSON.parse(JSON.stringify(rest)) as unknown;
      };
      for (const view of stored) expect(comparable(view), view.id).to.deep.equal(comparable(expected.get(view.id)!));
    });

    it("counts orders by status, the last hour's throughput and revenue, and the saga's latency", async () => {
      const summary = await model.summary(NOW);
      expect(summary.orders_by_status).to.deep.equal({ pending: 0, processing: 0, confirmed: 17, shipped: 8, delivered: 0, cancelled: 0, failed: 6 });
      expect(summary.last_hour).to.include({ created: 30, confirmed: 24, failed: 6, revenue: 240 });
      expect(summary.last_hour.per_minute.reduce((n, m) => n + m.created, 0)).to.equal(30);
      // Saga times 1..4 s, confirmed orders in the last hour only.
      expect(summary.saga_latency_ms.samples).to.equal(24);
      expect(summary.saga_latency_ms.p50).to.be.within(2000, 3300);
      // Read from a histogram: at most 10 % above the exact value.
      expect(summary.saga_latency_ms.p95).to.be.within(4000, 4400);
      expect(summary.low_stock).to.deep.equal([{ sku: "SKU-1", item_name: "Widget", available: 2, low_stock_threshold: 3 }]);
      expect(summary.courier_load).to.deep.equal([
        { courier: "linus", active_shipments: 4 },
        { courier: "margaret", active_shipments: 4 },
      ]);
    });

    it("searches by customer email (any case) or name, SKU, status, creation time and text, newest first, in pages", async () => {
      const byEmail = await model.searchOrders(search({ customer: "ADA@example.com", limit: 100 }));
      expect(byEmail.total).to.equal(15);
      expect(byEmail.items.every((o) => o.customer_email === "ada@example.com")).to.equal(true);
      expect(byEmail.items.map((o) => o.created_at)).to.deep.equal([...byEmail.items.map((o) => o.created_at)].sort().reverse());

      expect((await model.searchOrders(search({ customer: "grace" }))).total).to.equal(15);
      expect((await model.searchOrders(search({ customer: "grace hopper", status: "failed" }))).total).to.equal(3);
      expect((await model.searchOrders(search({ sku: "SKU-0" }))).total).to.equal(11);
      expect((await model.searchOrders(search({ created_from: at(3600), created_to: at(1800) }))).total).to.equal(20);
      const tracked = await model.searchOrders(search({ text: "trk-o03" }));
      expect(tracked.items.map((o) => o.id)).to.deep.equal(["o03"]);
      expect(tracked.items[0]).to.deep.include({ status: "shipped", total_amount: 10, currency: "EUR" });
      expect(tracked.items[0]!.shipment).to.include({ courier: "linus", status: "picked_up" });
      expect(tracked.items[0]!.history.map((h) => h.status)).to.deep.equal(["pending", "processing", "confirmed", "shipped"]);

      const page1 = await model.searchOrders(search({ sort: "created_at", limit: 7 }));
      const page2 = await model.searchOrders(search({ sort: "created_at", limit: 7, offset: 7 }));
      expect(page1.total).to.equal(31);
      expect(page1.items[0]!.id).to.equal("old");
      expect([...page1.items, ...page2.items].map((o) => o.id)).to.deep.equal(["old", ...Array.from({ length: 13 }, (_, i) => `o${String(i).padStart(2, "0")}`)]);
    });

    it("says how the server runs a search (explain)", async () => {
      const plan = (await model.explainSearch(search({ sku: "SKU-0" }))) as Record<string, unknown>;
      expect(plan).to.have.property("queryPlanner");
      console.log(`      explain of a search by SKU: ${JSON.stringify({ queryPlanner: plan.queryPlanner, filterPushdown: plan.filterPushdown, sortPushdown: plan.sortPushdown })}`);
    });

    it("starts from nothing after clear()", async () => {
      await model.clear();
      expect((await model.summary(NOW)).orders_by_status.confirmed).to.equal(0);
      expect((await model.searchOrders(search({}))).total).to.equal(0);
    });
  });
});
