import { expect } from "chai";
import { buildApp } from "../../../services/tracking/app.ts";
import { orderSnapshot } from "../../support/events.ts";
import { appBasics, call, FakeStateStore } from "../../support/fakes.ts";

function confirmed(orderId: string) {
  return {
    specversion: "1.0",
    id: `e-${orderId}`,
    source: "order",
    type: "order.status_changed",
    data: {
      order_id: orderId,
      status: "confirmed",
      previous_status: "processing",
      order: orderSnapshot(orderId, "confirmed"),
    },
  };
}

describe("tracking: the courier simulator", () => {
  it("moves every active shipment on by one scan per call until it is delivered, with positions on the way", async () => {
    const store = new FakeStateStore();
    const app = buildApp({ ...appBasics("tracking"), pubsubName: "pubsub", store, couriers: ["ada", "grace"], now: () => new Date("2026-03-01T10:00:00Z") });
    const delivered = await call(app, {
      method: "POST",
      url: "/dapr/events/orders/order.status_changed",
      headers: { "content-type": "application/cloudevents+json" },
      payload: JSON.stringify(confirmed("o1")),
    });
    expect(delivered.json()).to.deep.equal({ status: "SUCCESS" });
    const shipment = () => call(app, { method: "GET", url: "/api/v1/shipments?order_id=o1" }).then((r) => r.json()[0]);
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) {
      await call(app, { method: "POST", url: "/courier-simulator", headers: { "content-type": "application/json" }, payload: "{}" });
      statuses.push((await shipment()).status);
    }
    expect(statuses).to.deep.equal(["picked_up", "in_transit", "out_for_delivery", "delivered", "delivered"]);
    expect((await shipment()).last_location).to.include({ description: "Antwerp" });
    expect(store.eventsOf("shipment.status_changed").map((d) => (d as { status: string }).status)).to.deep.equal([
      "picked_up",
      "in_transit",
      "out_for_delivery",
      "delivered",
    ]);
  });
});
