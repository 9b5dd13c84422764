import { expect } from "chai";
import { buildApp } from "../../../services/notification/app.ts";
import { compose, templateForStatus } from "../../../services/notification/domain.ts";
import type { OutputBinding } from "../../../services/kit/ports/ports.ts";
import { DaprError } from "../../../services/kit/ports/errors.ts";
import type { OrderStatus } from "../../../services/contracts/api/orders.ts";
import { orderCreatedData, orderSnapshot } from "../../support/events.ts";
import { appBasics, call, FakeStateStore } from "../../support/fakes.ts";

/** An output binding that keeps what it was asked to send (or fails once). */
class FakeBinding implements OutputBinding {
  readonly sent: Array<{ binding: string; operation: string; data: unknown; metadata: Record<string, string> }> = [];
  failNext = false;
  async send(binding: string, operation: string, data: unknown, metadata: Record<string, string> = {}) {
    if (this.failNext) {
      this.failNext = false;
      throw new DaprError("smtp relay down", { status: 500 });
    }
    this.sent.push({ binding, operation, data, metadata });
    return undefined;
  }
}

const customer = { customer_name: "Ada", customer_email: "ada@example.com", origin_address: "A", destination_address: "B" };

function cloudEvent(id: string, type: string, data: unknown) {
  return { specversion: "1.0", id, source: "order", type, data };
}

function setup() {
  const store = new FakeStateStore();
  const binding = new FakeBinding();
  const app = buildApp({ ...appBasics("notification"), pubsubName: "pubsub", store, bindings: binding, emailBinding: "email", operationsEmail: "ops@example.com", now: () => new Date("2026-03-01T10:00:00Z") });
  const deliver = async (event: { type: string }) => {
    const res = await call(app, {
      method: "POST",
      url: `/dapr/events/orders/${event.type}`,
      headers: { "content-type": "application/cloudevents+json" },
      payload: JSON.stringify(event),
    });
    return (res.json() as { status: string }).status;
  };
  const list = async (orderId: string) => call(app, { method: "GET", url: `/api/v1/notifications?order_id=${orderId}` });
  return { app, store, binding, deliver, list };
}

const statusChanged = (id: string, orderId: string, status: string, extra: Record<string, unknown> = {}) =>
  cloudEvent(id, "order.status_changed", { order_id: orderId, status, previous_status: "processing", order: orderSnapshot(orderId, status as OrderStatus, { ...customer, ...extra }) });

describe("notification", () => {
  describe("domain", () => {
    it("has a template for confirmed, shipped, delivered, cancelled and failed orders, and none for the others", () => {
      expect(["confirmed", "shipped", "delivered", "cancelled", "failed"].map(templateForStatus)).to.deep.equal([
        "order_confirmed",
        "order_shipped",
        "order_delivered",
        "order_cancelled",
        "order_failed",
      ]);
      expect(templateForStatus("processing")).to.equal(undefined);
    });

    it("says why an order failed, and gives the tracking number of a shipped one", () => {
      const failed = compose("order_failed", { order_id: "o1", customer_name: "Ada", customer_email: "ada@example.com", status_reason: "payment_declined" });
      expect(failed).to.include({ to: "ada@example.com", subject: "We could not fulfil your order o1" });
      expect(failed.body).to.contain("the payment was declined");
      const shipped = compose("order_shipped", { order_id: "o1", customer_name: "Ada", customer_email: "ada@example.com", tracking_number: "LGX1" });
      expect(shipped.body).to.contain("LGX1");
    });
  });

  describe("on order events", () => {
    it("sends the message through the email binding and records it in the order's log", async () => {
      const { deliver, list, binding, store } = setup();
      expect(await deliver(statusChanged("e1", "o1", "confirmed", { total_amount: 12.5, currency: "EUR" }))).to.equal("SUCCESS");
      expect(binding.sent).to.have.length(1);
      expect(binding.sent[0]).to.deep.include({ binding: "email", operation: "create" });
      expect(binding.sent[0]!.metadata).to.deep.equal({ emailTo: "ada@example.com", subject: "Your order o1 is confirmed" });
      const log = (await list("o1")).json();
      expect(log).to.have.length(1);
      expect(log[0]).to.include({ order_id: "o1", channel: "email", template: "order_confirmed", status: "sent", recipient: "ada@example.com" });
      expect(log[0]).to.not.have.property("event_id");
      expect(store.eventsOf("notification.sent")).to.have.length(1);
    });

    it("sends one message per template and order, whatever is redelivered under other ids", async () => {
      const { deliver, binding, list } = setup();
      await deliver(cloudEvent("e1", "order.created", orderCreatedData("o1", customer)));
      await deliver(cloudEvent("e2", "order.created", orderCreatedData("o1", customer)));
      await deliver(statusChanged("e3", "o1", "processing"));
      expect(binding.sent.map((s) => s.metadata.subject)).to.deep.equal(["We received your order o1"]);
      expect((await list("o1")).json()).to.have.length(1);
    });

    it("asks for redelivery when the binding fails, and records nothing", async () => {
      const { deliver, binding, list } = setup();
      binding.failNext = true;
      expect(await deliver(statusChanged("e1", "o1", "cancelled"))).to.equal("RETRY");
      expect((await list("o1")).json()).to.deep.equal([]);
      expect(await deliver(statusChanged("e1", "o1", "cancelled"))).to.equal("SUCCESS");
      expect(binding.sent).to.have.length(1);
    });

    it("drops an event that lacks the recipient to the dead-letter topic", async () => {
      const { deliver, binding } = setup();
      expect(await deliver(cloudEvent("e1", "order.created", { order_id: "o1", items: [{ sku: "A", quantity: 1 }] }))).to.equal("DROP");
      expect(binding.sent).to.deep.equal([]);
    });

    it("answers 422 naming order_id when the log is asked for without one", async () => {
      const { list } = setup();
      const res = await list("");
      expect(res.statusCode).to.equal(422);
      expect(res.json().errors[0].field).to.equal("order_id");
    });
  });
});
