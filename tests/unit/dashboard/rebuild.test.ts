import { expect } from "chai";
import { applyToOrder, applyToSku, orderIdOf, tallyDelta } from "../../../services/dashboard/projection.ts";
import type { Effect, OrderView, ProjectedEvent, SkuView } from "../../../services/dashboard/projection.ts";
import { eventsOfOrder, eventsOfStock, Rebuilder } from "../../../services/dashboard/rebuild.ts";
import type { ChargeRecord, OrderRecord, Rebuildable, ServiceRecords, ShipmentRecord, StockRecord } from "../../../services/dashboard/rebuild.ts";
import { captureLogger } from "../../support/fakes.ts";
import { orderCreatedData, orderSnapshot } from "../../support/events.ts";

const CREATED = "2026-03-01T09:00:00.000Z";
const at = (seconds: number) => new Date(Date.parse(CREATED) + seconds * 1000).toISOString();
const money = { total_amount: 12.5, currency: "EUR", items: [{ sku: "A", item_name: "Item A", quantity: 1, unit_price: 12.5 }] };

/** The views, statistics' effects and running totals an in-memory projection keeps. */
class MemoryViews implements Rebuildable {
  orders = new Map<string, OrderView>();
  skus = new Map<string, SkuView>();
  effects: Effect[] = [];
  totals: Record<string, number> = {};
  cleared = 0;

  async apply(event: ProjectedEvent): Promise<boolean> {
    const orderId = orderIdOf(event);
    if (!orderId) {
      const sku = (event.data as { sku: string }).sku;
      const before = this.skus.get(sku);
      this.skus.set(sku, applyToSku(before, event));
      return this.skus.get(sku) !== before;
    }
    const before = this.orders.get(orderId);
    const { view, effects } = applyToOrder(before, event);
    this.orders.set(orderId, view);
    this.effects.push(...effects);
    for (const [key, by] of Object.entries(tallyDelta(before, view))) {
      this.totals[key] = (this.totals[key] ?? 0) + by;
      if (this.totals[key] === 0) delete this.totals[key];
    }
    return view !== before;
  }

  async clear(): Promise<void> {
    this.cleared += 1;
    this.orders.clear();
    this.skus.clear();
    this.effects = [];
    this.totals = {};
  }
}

/** Order o1 as the services tell it: confirmed, paid, shipped and picked up. */
function o1Records(): { order: OrderRecord; charges: ChargeRecord[]; shipments: ShipmentRecord[] } {
  return {
    order: {
      ...orderSnapshot("o1", "confirmed", { ...money, updated_at: at(3), payment_id: "p1" }),
      history: [
        { status: "pending", at: CREATED },
        { status: "processing", at: at(1) },
        { status: "confirmed", at: at(3) },
      ],
    },
    charges: [{ id: "p1", order_id: "o1", amount: 12.5, currency: "EUR", status: "captured", created_at: at(2), updated_at: at(2) }],
    shipments: [{ id: "s1", order_id: "o1", tracking_number: "TRK1", status: "picked_up", courier: "grace", estimated_delivery: at(86400), updated_at: at(5) }],
  };
}

/** The events the services published for o1, as they were. */
function o1Events(): ProjectedEvent[] {
  const changed = (status: "processing" | "confirmed", previous: "pending" | "processing", s: number, id: string) =>
    ({ id, type: "order.status_changed", time: at(s), data: { order_id: "o1", status, previous_status: previous, order: orderSnapshot("o1", status, { ...money, updated_at: at(s), ...(status === "confirmed" ? { payment_id: "p1" } : {}) }) } }) as ProjectedEvent;
  return [
    { id: "e1", type: "order.created", time: CREATED, data: orderCreatedData("o1") } as ProjectedEvent,
    changed("processing", "pending", 1, "e2"),
    { id: "e3", type: "payment.captured", time: at(2), data: { order_id: "o1", payment_id: "p1", amount: 12.5, currency: "EUR" } } as ProjectedEvent,
    changed("confirmed", "processing", 3, "e4"),
    { id: "e5", type: "shipment.created", time: at(4), data: { order_id: "o1", shipment_id: "s1", tracking_number: "TRK1", courier: "grace", estimated_delivery: at(86400) } } as ProjectedEvent,
    { id: "e6", type: "shipment.status_changed", time: at(5), data: { order_id: "o1", shipment_id: "s1", tracking_number: "TRK1", status: "picked_up", at: at(5) } } as ProjectedEvent,
  ];
}

/** What a view says, without the ids of the events that made it. */
const content = (view: OrderView | undefined) => {
  const { applied: _applied, ...rest } = view!;
  return rest;
};

async function project(events: ProjectedEvent[], views = new MemoryViews()): Promise<MemoryViews> {
  for (const event of events) await views.apply(event);
  return views;
}

function recordsOf(orders: Array<ReturnType<typeof o1Records>>, stock: StockRecord[]): ServiceRecords & { calls: string[] } {
  const calls: string[] = [];
  const pageOf = <T>(items: T[], page: number, size: number) => ({ items: items.slice((page - 1) * size, page * size), total: items.length });
  return {
    calls,
    orders: async (page, size) => (calls.push(`orders ${page}`), pageOf(orders.map((o) => o.order), page, size)),
    charges: async (id) => orders.find((o) => o.order.id === id)!.charges,
    shipments: async (id) => orders.find((o) => o.order.id === id)!.shipments,
    stock: async (page, size) => (calls.push(`stock ${page}`), pageOf(stock, page, size)),
  };
}

describe("dashboard rebuild from the services' APIs", () => {
  it("tells the projection the events that make an order's view what its events made it, effects and totals included", async () => {
    const { order, charges, shipments } = o1Records();
    const fromEvents = await project(o1Events());
    const rebuilt = await project(eventsOfOrder(order, charges, shipments));
    expect(content(rebuilt.orders.get("o1"))).to.deep.equal(content(fromEvents.orders.get("o1")));
    expect(rebuilt.effects).to.have.deep.members(fromEvents.effects);
    expect(rebuilt.totals).to.deep.equal({ "status:confirmed": 1, "courier:grace": 1 });
  });

  it("counts nothing twice when the services' own events arrive after the rebuild", async () => {
    const { order, charges, shipments } = o1Records();
    const views = await project(eventsOfOrder(order, charges, shipments));
    const before = { effects: views.effects.length, view: content(views.orders.get("o1")) };
    await project(o1Events(), views);
    expect(views.effects).to.have.length(before.effects);
    expect(content(views.orders.get("o1"))).to.deep.equal(before.view);
    expect(views.totals).to.deep.equal({ "status:confirmed": 1, "courier:grace": 1 });
  });

  it("rebuilds a refunded charge as a capture and a refund, and a SKU's level and low stock as inventory tells them", async () => {
    const records = o1Records();
    const refunded: ChargeRecord = { ...records.charges[0]!, status: "refunded", updated_at: at(9) };
    const kinds = (await project(eventsOfOrder(records.order, [refunded], []))).effects.map((e) => e.kind);
    expect(kinds).to.deep.equal(["created", "confirmed", "captured", "refunded"]);
    const views = await project(eventsOfStock({ sku: "A", item_name: "Item A", on_hand: 5, reserved: 3, available: 2, low_stock_threshold: 3 }, at(60)));
    expect(views.skus.get("A")).to.include({ on_hand: 5, reserved: 3, available: 2, low_stock_threshold: 3, as_of: at(60) });
  });

  it("drops the views, reads every page, says how it goes, and runs one rebuild at a time", async () => {
    const many = Array.from({ length: 230 }, (_, i) => {
      const records = o1Records();
      const id = `o${i}`;
      return {
        order: { ...records.order, id },
        charges: records.charges.map((c) => ({ ...c, order_id: id, id: `p${i}` })),
        shipments: records.shipments.map((s) => ({ ...s, order_id: id, id: `s${i}` })),
      };
    });
    const stock = [{ sku: "A", item_name: "Item A", on_hand: 5, reserved: 0, available: 5, low_stock_threshold: 1 }];
    const views = await project(o1Events());
    const records = recordsOf(many, stock);
    const rebuilder = new Rebuilder(views, records, captureLogger().logger, () => new Date(at(100)));
    const first = rebuilder.start();
    expect(first.started).to.equal(true);
    expect(rebuilder.start().started).to.equal(false);
    await first.done;
    expect(rebuilder.state).to.deep.include({ state: "done", orders: 230, skus: 1, orders_total: 230 });
    expect(records.calls).to.deep.equal(["stock 1", "orders 1", "orders 2", "orders 3"]);
    expect(views.cleared).to.equal(1);
    expect(views.orders.size).to.equal(230);
    expect(views.totals).to.deep.equal({ "status:confirmed": 230, "courier:grace": 230 });
    expect(rebuilder.start().started).to.equal(true);
  });

  it("says why a rebuild failed", async () => {
    const records = recordsOf([o1Records()], []);
    records.charges = async () => {
      throw new Error("GET api/v1/payments?order_id=o1 on payment answered 500");
    };
    const rebuilder = new Rebuilder(new MemoryViews(), records, captureLogger().logger);
    await rebuilder.start().done;
    expect(rebuilder.state).to.deep.include({ state: "failed", error: "GET api/v1/payments?order_id=o1 on payment answered 500" });
  });
});
