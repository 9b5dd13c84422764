import { expect } from "chai";
import type { OrderStatus } from "../../../services/contracts/api/orders.ts";
import { applyToOrder, applyToSku, bucketPercentile, minuteOf, SAGA_BUCKETS_MS, sagaBucket, tallyDelta } from "../../../services/dashboard/projection.ts";
import type { Effect, OrderView, ProjectedEvent, SkuView } from "../../../services/dashboard/projection.ts";
import { orderCreatedData, orderSnapshot } from "../../support/events.ts";

const CREATED = "2026-03-01T09:00:00.000Z";
const at = (seconds: number) => new Date(Date.parse(CREATED) + seconds * 1000).toISOString();

let ids = 0;
/** An event as the subscription hands it over, with a fresh CloudEvent id unless given. */
function ev<E extends ProjectedEvent>(type: E["type"], data: E["data"], time = CREATED, id = `ev-${++ids}`): ProjectedEvent {
  return { id, type, time, data } as ProjectedEvent;
}

function statusChanged(status: OrderStatus, previous: OrderStatus, seconds: number, extra: Record<string, unknown> = {}): ProjectedEvent {
  return ev("order.status_changed", { order_id: "o1", status, previous_status: previous, order: orderSnapshot("o1", status, { updated_at: at(seconds), ...extra }) }, at(seconds));
}

const created = () => ev("order.created", orderCreatedData("o1"));
const captured = (seconds = 2) => ev("payment.captured", { order_id: "o1", payment_id: "p1", amount: 12.5, currency: "EUR" }, at(seconds));
const refunded = (seconds = 9) => ev("payment.refunded", { order_id: "o1", payment_id: "p1", amount: 12.5, currency: "EUR" }, at(seconds));
const shipmentCreated = () =>
  ev("shipment.created", { order_id: "o1", shipment_id: "s1", tracking_number: "TRK1", courier: "grace", estimated_delivery: at(86400) }, at(4));
const scan = (status: "picked_up" | "in_transit" | "delivered", seconds: number) =>
  ev("shipment.status_changed", { order_id: "o1", shipment_id: "s1", tracking_number: "TRK1", status, at: at(seconds) }, at(seconds));

/** Applies events in turn; returns the view and every effect reported. */
function project(events: ProjectedEvent[], start?: OrderView): { view: OrderView; effects: Effect[] } {
  let view = start;
  const effects: Effect[] = [];
  for (const event of events) {
    const applied = applyToOrder(view, event);
    view = applied.view;
    effects.push(...applied.effects);
  }
  return { view: view!, effects };
}

/** The view without the ids it applied (which differ with the order events came in). */
const content = (view: OrderView) => ({ ...view, applied: [...view.applied].sort() });

describe("dashboard projection: orders", () => {
  const saga = () => [
    created(),
    statusChanged("processing", "pending", 1, { total_amount: 12.5, currency: "EUR" }),
    captured(),
    statusChanged("confirmed", "processing", 3, { total_amount: 12.5, currency: "EUR", payment_id: "p1" }),
    shipmentCreated(),
    scan("picked_up", 5),
    statusChanged("shipped", "confirmed", 5, { total_amount: 12.5, currency: "EUR", payment_id: "p1", shipment_id: "s1", tracking_number: "TRK1" }),
  ];

  it("follows an order through the saga: status, history, totals, payment, shipment, saga time", () => {
    const { view, effects } = project(saga());
    expect(view).to.include({ id: "o1", status: "shipped", customer_email: "ada@example.com", total_amount: 12.5, currency: "EUR", confirmed_at: at(3), saga_ms: 3000 });
    expect(view.history.map((h) => h.status)).to.deep.equal(["pending", "processing", "confirmed", "shipped"]);
    expect(view.payment).to.deep.equal({ id: "p1", status: "captured", amount: 12.5, currency: "EUR" });
    expect(view.shipment).to.include({ id: "s1", courier: "grace", status: "picked_up", tracking_number: "TRK1" });
    expect(view.skus).to.deep.equal(["A"]);
    expect(view.terms).to.include.members(["ada", "ada@example.com", "a", "o1", "p1", "s1", "trk1"]);
    expect(effects).to.deep.equal([
      { kind: "created", at: CREATED },
      { kind: "captured", at: at(2), amount: 12.5 },
      { kind: "confirmed", at: at(3), saga_ms: 3000 },
    ]);
  });

  it("ends in the same view, with the same effects, whatever order the events arrive in", () => {
    const events = saga();
    const inOrder = project(events);
    const orders = [[...events].reverse(), [events[3]!, events[6]!, events[0]!, events[5]!, events[2]!, events[4]!, events[1]!]];
    for (const shuffled of orders) {
      const got = project(shuffled);
      expect(content(got.view)).to.deep.equal(content(inOrder.view));
      expect([...got.effects].sort((a, b) => a.kind.localeCompare(b.kind))).to.deep.equal([...inOrder.effects].sort((a, b) => a.kind.localeCompare(b.kind)));
    }
  });

  it("applies an event delivered twice once: same view, no second effect", () => {
    const events = saga();
    const once = project(events);
    const twice = project([...events, ...events]);
    expect(twice.view).to.deep.equal(once.view);
    expect(twice.effects).to.deep.equal(once.effects);
    const again = applyToOrder(once.view, events[2]!);
    expect(again.effects).to.deep.equal([]);
    expect(again.view).to.equal(once.view);
  });

  it("never lets an older snapshot replace a newer one", () => {
    const { view } = project([statusChanged("confirmed", "processing", 3), statusChanged("processing", "pending", 1)]);
    expect(view.status).to.equal("confirmed");
    expect(view.updated_at).to.equal(at(3));
    expect(view.history.map((h) => h.status)).to.deep.equal(["processing", "confirmed"]);
  });

  it("lists two changes of one millisecond in the order of the status machine, whichever came first", () => {
    const { view } = project([statusChanged("failed", "processing", 1), statusChanged("processing", "pending", 1), created()]);
    expect(view.history.map((h) => h.status)).to.deep.equal(["pending", "processing", "failed"]);
  });

  it("counts a confirmation once, even when a later status is learnt first", () => {
    const { view, effects } = project([statusChanged("shipped", "confirmed", 5), statusChanged("confirmed", "processing", 3)]);
    expect(view).to.include({ status: "shipped", confirmed_at: at(3), saga_ms: 3000 });
    expect(effects.filter((e) => e.kind === "confirmed")).to.deep.equal([{ kind: "confirmed", at: at(3), saga_ms: 3000 }]);
    expect(effects.filter((e) => e.kind === "created")).to.have.length(1);
  });

  it("records a failure with its reason, counted once", () => {
    const failed = statusChanged("failed", "pending", 1, { status_reason: "out_of_stock" });
    const { view, effects } = project([created(), failed, statusChanged("failed", "pending", 1, { status_reason: "out_of_stock" })]);
    expect(view).to.include({ status: "failed", status_reason: "out_of_stock", failed_at: at(1) });
    expect(effects.map((e) => e.kind)).to.deep.equal(["created", "failed"]);
  });

  it("keeps a refund over a capture that arrives after it, and counts both amounts", () => {
    const { view, effects } = project([refunded(), captured()]);
    expect(view.payment).to.include({ status: "refunded", amount: 12.5 });
    expect(effects).to.deep.equal([
      { kind: "refunded", at: at(9), amount: 12.5 },
      { kind: "captured", at: at(2), amount: 12.5 },
    ]);
  });

  it("counts a capture and a refund once per order, also when they come again under other event ids (after a rebuild)", () => {
    const again = (e: ProjectedEvent) => ({ ...e, id: `${e.id}-again` }) as ProjectedEvent;
    const first = [captured(), refunded()];
    const { view, effects } = project([...first, ...first.map(again)]);
    expect(effects.map((e) => e.kind)).to.deep.equal(["captured", "refunded"]);
    expect(view.counted).to.deep.equal({ captured: true, refunded: true });
  });

  it("records a declined payment with its reason", () => {
    const { view } = project([ev("payment.declined", { order_id: "o1", payment_id: "p1", amount: 5, currency: "EUR", decline_reason: "insufficient_funds" })]);
    expect(view.payment).to.deep.equal({ id: "p1", status: "declined", amount: 5, currency: "EUR", decline_reason: "insufficient_funds" });
  });

  it("moves a shipment forward only, and keeps its courier when a scan comes before its creation", () => {
    const { view } = project([scan("delivered", 20), scan("picked_up", 5), shipmentCreated(), scan("in_transit", 10)]);
    expect(view.shipment).to.include({ id: "s1", courier: "grace", status: "delivered", at: at(20) });
  });

  it("takes the total from the reservation when no snapshot carried it", () => {
    const reserved = ev("inventory.reserved", { order_id: "o1", lines: [{ sku: "A", item_name: "Item A", quantity: 1, unit_price: 4 }], total_amount: 4, currency: "EUR", expires_at: at(900) });
    const { view } = project([created(), reserved]);
    expect(view).to.include({ total_amount: 4, currency: "EUR" });
  });

  it("knows an order from any of its events alone, and keeps its customer when order.created comes last", () => {
    const { view } = project([captured(), created()]);
    expect(view).to.include({ id: "o1", customer_name: "Ada", created_at: CREATED });
    expect(view.payment?.status).to.equal("captured");
  });

  it("refuses an event that is not about an order", () => {
    expect(() => applyToOrder(undefined, ev("inventory.stock_changed", { sku: "A", on_hand: 1, reserved: 0, available: 1 }))).to.throw(/does not concern an order/);
  });
});

describe("dashboard projection: SKUs", () => {
  const level = (available: number, seconds: number, id?: string) =>
    ev("inventory.stock_changed", { sku: "A", on_hand: 10, reserved: 10 - available, available }, at(seconds), id);

  it("keeps the latest level by the time inventory reported it, whatever order the reports arrive in", () => {
    let view: SkuView | undefined;
    for (const event of [level(7, 3), level(9, 1), level(8, 2)]) view = applyToSku(view, event);
    expect(view).to.include({ sku: "A", available: 7, reserved: 3, on_hand: 10, as_of: at(3) });
  });

  it("orders two reports of one second by the item's own time to the millisecond (a CloudEvent's time has whole seconds)", () => {
    const second = "2026-03-01T09:00:05Z";
    const report = (available: number, ms: number) =>
      ev("inventory.stock_changed", { sku: "A", on_hand: 10, reserved: 10 - available, available, updated_at: `2026-03-01T09:00:05.${String(ms).padStart(3, "0")}Z` }, second);
    let view: SkuView | undefined;
    for (const event of [report(6, 900), report(8, 100)]) view = applyToSku(view, event);
    expect(view).to.include({ available: 6, as_of: "2026-03-01T09:00:05.900Z" });
  });

  it("applies a report delivered twice once, and records low-stock alerts", () => {
    const first = applyToSku(undefined, level(2, 1, "same"));
    expect(applyToSku(first, level(2, 1, "same"))).to.equal(first);
    const low = applyToSku(first, ev("inventory.low_stock", { sku: "A", item_name: "Item A", available: 2, low_stock_threshold: 3 }, at(1)));
    expect(low).to.include({ item_name: "Item A", low_stock_threshold: 3, low_stock_at: at(1), available: 2 });
  });
});

describe("dashboard projection: helpers", () => {
  it("buckets instants by minute", () => {
    expect(minuteOf("2026-03-01T09:05:59.999Z")).to.equal("2026-03-01T09:05");
  });

  it("keeps saga times in buckets 10 % apart and reads nearest-rank percentiles from them, at most 10 % high", () => {
    for (let i = 1; i < SAGA_BUCKETS_MS.length; i++) expect(SAGA_BUCKETS_MS[i]! / SAGA_BUCKETS_MS[i - 1]!).to.be.within(1.09, 1.11);
    expect(SAGA_BUCKETS_MS.at(-1)).to.be.greaterThan(2 * 3600_000);
    const counts = new Array<number>(SAGA_BUCKETS_MS.length).fill(0);
    expect(bucketPercentile(counts, 50)).to.equal(undefined);
    const times = [12, 800, 1500, 2100, 2999, 3000, 4000, 9000, 30_000, 61_000];
    for (const ms of times) counts[sagaBucket(ms)]! += 1;
    for (const [p, exact] of [[10, 12], [50, 2999], [90, 30_000], [100, 61_000]] as const) {
      expect(bucketPercentile(counts, p), `p${p}`).to.be.within(exact, exact * 1.1);
    }
    expect(SAGA_BUCKETS_MS[sagaBucket(10 * 3600_000)]).to.equal(SAGA_BUCKETS_MS.at(-1));
    expect(bucketPercentile(counts.map((_, i) => (i === sagaBucket(0) ? 1 : 0)), 50)).to.equal(1);
  });

  it("counts each known order once by status, and each active shipment by courier, whatever order the events came in", () => {
    const events = [created(), statusChanged("processing", "pending", 1), captured(), statusChanged("confirmed", "processing", 3), shipmentCreated(), scan("picked_up", 5), scan("delivered", 8)];
    // A few orders of arrival; each time the deltas add up to what the last view counts.
    for (const order of [events, [...events].reverse(), [events[3]!, events[5]!, events[0]!, events[6]!, events[1]!, events[4]!, events[2]!]]) {
      let view: OrderView | undefined;
      const totals: Record<string, number> = {};
      for (const event of order) {
        const next = applyToOrder(view, event).view;
        for (const [key, by] of Object.entries(tallyDelta(view, next))) totals[key] = (totals[key] ?? 0) + by;
        view = next;
      }
      expect(Object.fromEntries(Object.entries(totals).filter(([, n]) => n !== 0))).to.deep.equal({ "status:confirmed": 1 });
    }
    // Shipped, not yet delivered: its courier is busy with it.
    const moving = project(events.slice(0, 6)).view;
    expect(tallyDelta(undefined, moving)).to.deep.equal({ "status:confirmed": 1, "courier:grace": 1 });
    // Nothing counted while the order's creation is unknown.
    expect(tallyDelta(undefined, applyToOrder(undefined, captured()).view)).to.deep.equal({});
  });
});
