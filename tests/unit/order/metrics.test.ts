import { expect } from "chai";
import { Registry } from "prom-client";
import { domainEvent } from "../../../services/contracts/events.ts";
import { sagaMetrics } from "../../../services/order/metrics.ts";
import { buildApp } from "../../../services/order/app.ts";
import { appBasics, call, FakePublisher, FakeStateStore } from "../../support/fakes.ts";
import { newOrder } from "../../support/fixtures.ts";
import { sample } from "../../support/metrics.ts";

describe("order metrics", () => {
  it("counts orders created and by status from the store, so a new process starts from the stored counts", async () => {
    const store = new FakeStateStore();
    const build = () => buildApp({ ...appBasics("order"), pubsubName: "pubsub", store, publisher: new FakePublisher(), shipments: { cancel: async () => "cancelled" as const }, stuckAfterSeconds: 60 });
    const app = build();
    for (let i = 0; i < 3; i++) {
      const res = await call(app, { method: "POST", url: "/api/v1/orders", headers: { "content-type": "application/json" }, payload: JSON.stringify(newOrder) });
      expect(res.statusCode).to.equal(201);
    }
    // The list indexes are written just after each answer.
    const scrape = async (appToScrape: ReturnType<typeof build>) => (await call(appToScrape, { method: "GET", url: "/metrics" })).body;
    let text = "";
    for (let tries = 0; tries < 50 && !text.includes('logistics_orders{status="pending",app_id="order"} 3'); tries++) {
      await new Promise((done) => setTimeout(done, 20));
      text = await scrape(app);
    }
    expect(text).to.include('logistics_orders{status="pending",app_id="order"} 3');
    expect(text).to.include('logistics_orders{status="confirmed",app_id="order"} 0');
    expect(text).to.include('logistics_orders_created_total{app_id="order"} 3');
    // Another process (a restart, a replica) over the same store says the same.
    expect(await scrape(build())).to.include('logistics_orders_created_total{app_id="order"} 3');
  });

  it("observes the saga's duration from creation to confirmation or failure, and nothing else", async () => {
    const registry = new Registry();
    const observe = sagaMetrics(registry);
    const order = { id: "o1", status: "confirmed", created_at: "2026-03-01T10:00:00.000Z", updated_at: "2026-03-01T10:00:00.400Z" };
    const changed = (status: string, previous: string) =>
      domainEvent("order.status_changed", { order_id: "o1", status, previous_status: previous, order: { ...order, status } } as never);
    observe(changed("processing", "pending"));
    observe(changed("confirmed", "processing"));
    expect(await sample(registry, 'logistics_saga_duration_seconds_count{outcome="confirmed"}')).to.equal(1);
    expect(await sample(registry, 'logistics_saga_duration_seconds_bucket{le="0.25",outcome="confirmed"}')).to.equal(0);
    expect(await sample(registry, 'logistics_saga_duration_seconds_bucket{le="0.5",outcome="confirmed"}')).to.equal(1);
    expect(await sample(registry, 'logistics_saga_duration_seconds_count{outcome="failed"}')).to.equal(0);
  });
});
