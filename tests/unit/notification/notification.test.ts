import { expect } from "chai";
import { buildApp } from "../../../services/notification/app.ts";
import { orderReceived, readOrderCreated, UnusableEventError } from "../../../services/notification/domain.ts";
import { appBasics, call, FakeStateStore } from "../../support/fakes.ts";

function orderCreated(id: string, orderId: string, data: Record<string, unknown> = {}) {
  return {
    specversion: "1.0",
    id,
    source: "order",
    type: "order.created",
    data: { order_id: orderId, customer_name: "Ada", customer_email: "ada@example.com", ...data },
  };
}

function setup() {
  const store = new FakeStateStore();
  const app = buildApp({ ...appBasics("notification"), pubsubName: "pubsub", store, now: () => new Date("2026-03-01T10:00:00Z") });
  const deliver = async (event: unknown) => {
    const res = await call(app, {
      method: "POST",
      url: "/dapr/events/orders/order.created",
      headers: { "content-type": "application/cloudevents+json" },
      payload: JSON.stringify(event),
    });
    return (res.json() as { status: string }).status;
  };
  const list = async (orderId: string) => call(app, { method: "GET", url: `/api/v1/notifications?order_id=${orderId}` });
  return { app, store, deliver, list };
}

describe("notification", () => {
  describe("domain", () => {
    it("writes an order-received message to the customer", () => {
      const n = orderReceived({ order_id: "o1", customer_name: "Ada", customer_email: "ada@example.com" }, "n1", "e1", "t");
      expect(n).to.include({ id: "n1", order_id: "o1", recipient: "ada@example.com", template: "order_received", event_id: "e1", sent_at: "t" });
      expect(n.subject).to.contain("o1");
    });

    it("refuses an order.created without a recipient", () => {
      expect(() => readOrderCreated({ order_id: "o1", customer_name: "Ada" })).to.throw(UnusableEventError, "customer_email");
    });
  });

  describe("on order.created", () => {
    it("records the message in the order's log", async () => {
      const { deliver, list } = setup();
      expect(await deliver(orderCreated("e1", "o1"))).to.equal("SUCCESS");
      const res = await list("o1");
      expect(res.statusCode).to.equal(200);
      expect(res.json()).to.have.length(1);
      expect(res.json()[0]).to.include({ order_id: "o1", template: "order_received", recipient: "ada@example.com", status: "recorded" });
      expect(res.json()[0]).to.not.have.property("event_id");
    });

    it("records one message per order even for two different events announcing it", async () => {
      const { deliver, list } = setup();
      await deliver(orderCreated("e1", "o1"));
      await deliver(orderCreated("e2", "o1"));
      expect((await list("o1")).json()).to.have.length(1);
    });

    it("drops an event it can never use to the dead-letter topic", async () => {
      const { deliver, list } = setup();
      expect(await deliver(orderCreated("e1", "o1", { customer_email: "" }))).to.equal("DROP");
      expect((await list("o1")).json()).to.deep.equal([]);
    });
  });

  it("asks for the order id when listing", async () => {
    const { app } = setup();
    const res = await call(app, { method: "GET", url: "/api/v1/notifications" });
    expect(res.statusCode).to.equal(422);
    expect(res.json().errors).to.deep.equal([{ field: "order_id", message: "is required (one order id)" }]);
  });
});
