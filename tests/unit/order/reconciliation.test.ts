import { expect } from "chai";
import { buildApp } from "../../../services/order/app.ts";
import { stuckOrders } from "../../../services/order/reconciliation.ts";
import type { StoredOrder } from "../../../services/order/domain.ts";
import { appBasics, call, FakePublisher, FakeStateStore } from "../../support/fakes.ts";
import { newOrder } from "../../support/fixtures.ts";

const START = Date.parse("2026-03-01T10:00:00Z");

function setup() {
  const store = new FakeStateStore();
  const publisher = new FakePublisher();
  const basics = appBasics("order");
  let now = START;
  const app = buildApp({
    ...basics,
    pubsubName: "pubsub",
    store,
    publisher,
    shipments: { cancel: async () => "cancelled" as const },
    stuckAfterSeconds: 60,
    now: () => new Date(now),
  });
  const post = async (body: unknown = newOrder) =>
    (await call(app, { method: "POST", url: "/api/v1/orders", headers: { "content-type": "application/json" }, payload: JSON.stringify(body) })).json();
  const sweep = async () => (await call(app, { method: "POST", url: "/order-reconciliation" })).json();
  const deliver = async (type: string, data: unknown) =>
    (
      await call(app, {
      method: "POST",
      url: `/dapr/events/inventory/${type}`,
      headers: { "content-type": "application/cloudevents+json" },
        payload: JSON.stringify({ id: crypto.randomUUID(), source: "test", specversion: "1.0", type, datacontenttype: "application/json", data }),
      })
    ).json().status;
  return { app, store, publisher, basics, post, sweep, deliver, advance: (seconds: number) => (now += seconds * 1000) };
}

describe("order reconciliation", () => {
  it("announces again, the same as the first time, an order pending past the bound, and counts it", async () => {
    const { store, publisher, basics, post, sweep, advance } = setup();
    const order = await post();
    // Its order.created never reached anyone: the order was listed when it was stored.
    advance(59);
    expect(await sweep()).to.deep.equal({ reannounced: 0, failed: 0 });
    expect(publisher.events).to.have.length(0);
    advance(1);
    expect(await sweep()).to.deep.equal({ reannounced: 1, failed: 0 });
    expect(publisher.events).to.have.length(1);
    expect(publisher.events[0]).to.deep.include({ topic: "orders", type: "order.created" });
    expect(publisher.events[0]!.data).to.deep.equal(store.eventsOf("order.created")[0]);
    expect((publisher.events[0]!.data as { order_id: string }).order_id).to.equal(order.id);
    const metrics = await basics.metrics.registry.metrics();
    expect(metrics).to.match(/orders_reannounced_total\{status="pending",app_id="order"\} 1/);
    // Still stuck at the next sweep: said again.
    advance(15);
    await sweep();
    expect(publisher.events).to.have.length(2);
  });

  it("announces a processing order again, and leaves orders that moved on or are young alone", async () => {
    const { publisher, post, sweep, deliver, advance } = setup();
    const processing = await post();
    const failed = await post();
    const reserved = { order_id: processing.id, lines: [{ sku: newOrder.items[0]!.sku, item_name: "x", quantity: 1, unit_price: 10 }], total_amount: 10, currency: "EUR", expires_at: "2026-03-01T11:00:00Z" };
    expect(await deliver("inventory.reserved", reserved)).to.equal("SUCCESS");
    expect(await deliver("inventory.rejected", { order_id: failed.id, reason: "out_of_stock", skus: ["x"] })).to.equal("SUCCESS");
    advance(30);
    const young = await post();
    advance(40);
    expect(await sweep()).to.deep.equal({ reannounced: 1, failed: 0 });
    expect(publisher.events.map((e) => (e.data as { order_id: string }).order_id)).to.deep.equal([processing.id]);
    expect(young.id).to.not.equal(processing.id);
  });

  it("finds the oldest first", () => {
    const order = (id: string, status: StoredOrder["status"], updated: string) => ({ id, status, updated_at: updated }) as StoredOrder;
    const now = new Date("2026-03-01T10:10:00Z");
    const found = stuckOrders(
      [
        order("b", "processing", "2026-03-01T10:05:00Z"),
        order("a", "pending", "2026-03-01T10:01:00Z"),
        order("c", "confirmed", "2026-03-01T10:00:00Z"),
        order("d", "pending", "2026-03-01T10:09:30Z"),
      ],
      now,
      60_000,
    );
    expect(found.map((o) => o.id)).to.deep.equal(["a", "b"]);
  });
});
