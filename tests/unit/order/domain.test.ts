import { expect } from "chai";
import { applyInOrder, cancelOrder, canTransition, createOrder, expireReservation, IllegalTransitionError, onPaymentCaptured, onPaymentDeclined, onShipmentCreated, onShipmentStatus, onStockRejected, onStockReserved, operatorTransition, publicOrder, replayOutcome, transition, TRANSITIONS } from "../../../services/order/domain.ts";
import { ORDER_STATUSES } from "../../../services/contracts/api/orders.ts";
import type { Decision, StoredOrder } from "../../../services/order/domain.ts";
import type { OrderStatus } from "../../../services/contracts/api/orders.ts";
import { newOrder } from "../../support/fixtures.ts";


describe("order domain", () => {
  it("creates a pending order with its first history entry and the order.created data", () => {
    const { order, event } = createOrder(newOrder, "o-1", "2026-01-01T00:00:00.000Z");
    expect(order).to.include({ id: "o-1", status: "pending", created_at: "2026-01-01T00:00:00.000Z", updated_at: "2026-01-01T00:00:00.000Z" });
    expect(order.history).to.deep.equal([{ status: "pending", at: "2026-01-01T00:00:00.000Z" }]);
    expect(event.data).to.deep.include({ order_id: "o-1", customer_email: "ada@example.com", items: newOrder.items });
  });

  it("treats a missing payment as an accepted card", () => {
    expect(createOrder(newOrder, "o-1", "t").event.data.payment).to.deep.equal({ method: "card" });
    const declined = createOrder({ ...newOrder, payment: { method: "card", card_token: "tok_declined" } }, "o-2", "t");
    expect(declined.event.data.payment).to.deep.equal({ method: "card", card_token: "tok_declined" });
  });

  it("never shows the card token or idempotency record to clients", () => {
    const { order } = createOrder({ ...newOrder, payment: { method: "card", card_token: "tok_x" } }, "o-1", "t", { key: "k", request_hash: "h" });
    const visible = publicOrder(order) as unknown as Record<string, unknown>;
    expect(visible).to.not.have.any.keys("payment", "idempotency");
  });

  it("replays the same request under an Idempotency-Key and refuses another", () => {
    const { order } = createOrder(newOrder, "o-1", "t", { key: "k", request_hash: "h1" });
    expect(replayOutcome(order, "h1")).to.equal("replay");
    expect(replayOutcome(order, "h2")).to.equal("conflict");
  });

  it("follows the status machine of the design, terminal statuses included", () => {
    expect(canTransition("pending", "processing")).to.equal(true);
    expect(canTransition("processing", "confirmed")).to.equal(true);
    expect(canTransition("confirmed", "shipped")).to.equal(true);
    expect(canTransition("shipped", "delivered")).to.equal(true);
    expect(canTransition("shipped", "cancelled")).to.equal(false);
    expect(canTransition("pending", "delivered")).to.equal(false);
    for (const terminal of ["delivered", "cancelled", "failed"] as const) {
      for (const to of ORDER_STATUSES) expect(canTransition(terminal, to), `${terminal} → ${to}`).to.equal(false);
    }
    expect(Object.keys(TRANSITIONS)).to.have.members([...ORDER_STATUSES]);
  });
});

const CREATED = "2026-03-01T10:00:00.000Z";
const NOW = new Date("2026-03-01T10:05:00.000Z");

/** An order created from the shared fixture, then set to `status` (and any other fields). */
function orderIn(status: OrderStatus, fields: Partial<StoredOrder> = {}): StoredOrder {
  const { order } = createOrder({ ...newOrder, payment: { method: "card", card_token: "tok_x" } }, "o-1", CREATED);
  return { ...order, status, history: [{ status, at: CREATED }], ...fields };
}

function changed(decision: Decision): Extract<Decision, { kind: "change" }> {
  if (decision.kind !== "change") throw new Error(`expected a change, got ${decision.kind}: ${decision.why}`);
  return decision;
}

describe("order status machine", () => {
  it("lists exactly the transitions of the design", () => {
    expect(TRANSITIONS).to.deep.equal({
      pending: ["processing", "failed", "cancelled"],
      processing: ["confirmed", "failed", "cancelled"],
      confirmed: ["shipped", "cancelled"],
      shipped: ["delivered"],
      delivered: [],
      cancelled: [],
      failed: [],
    });
  });

  it("canTransition agrees with TRANSITIONS for every pair of statuses", () => {
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) expect(canTransition(from, to), `${from} → ${to}`).to.equal(TRANSITIONS[from].includes(to));
    }
  });

  describe("transition", () => {
    it("sets the status, appends to the history and stamps updated_at", () => {
      const { order } = transition(orderIn("pending"), "processing", NOW);
      expect(order.status).to.equal("processing");
      expect(order.updated_at).to.equal(NOW.toISOString());
      expect(order.history).to.deep.equal([{ status: "pending", at: CREATED }, { status: "processing", at: NOW.toISOString() }]);
    });

    it("records a failure's reason in status_reason and in the history", () => {
      const { order } = transition(orderIn("processing"), "failed", NOW, {}, "payment_declined");
      expect(order.status_reason).to.equal("payment_declined");
      expect(order.history.at(-1)).to.deep.equal({ status: "failed", at: NOW.toISOString(), reason: "payment_declined" });
    });

    it("sets no status_reason for a reason on a status other than failed", () => {
      const { order } = transition(orderIn("confirmed"), "shipped", NOW, {}, "set_by_operator");
      expect(order).to.not.have.property("status_reason");
      expect(order.history.at(-1)).to.deep.equal({ status: "shipped", at: NOW.toISOString(), reason: "set_by_operator" });
    });

    it("applies the given changes with the status", () => {
      const { order } = transition(orderIn("processing"), "confirmed", NOW, { payment_id: "pay-1" });
      expect(order).to.include({ status: "confirmed", payment_id: "pay-1" });
    });

    it("emits order.status_changed with the previous status, the reason and a snapshot without history or payment", () => {
      const before = orderIn("processing", { idempotency: { key: "k", request_hash: "h" }, reservation_expires_at: "2026-03-01T10:15:00.000Z" });
      const { order, events } = transition(before, "failed", NOW, {}, "reservation_expired");
      const { history: _history, payment: _payment, idempotency: _idempotency, reservation_expires_at: _expiry, ...snapshot } = order;
      expect(events).to.deep.equal([
        {
          type: "order.status_changed",
          data: { order_id: "o-1", status: "failed", previous_status: "processing", reason: "reservation_expired", order: snapshot },
        },
      ]);
      const data = events[0]!.data as unknown as { order: Record<string, unknown> };
      expect(data.order).to.not.have.any.keys("history", "payment", "idempotency", "reservation_expires_at");
      expect(data.order).to.include({ status: "failed", status_reason: "reservation_expired" });
    });

    it("leaves reason out of the event when none is given", () => {
      const { events } = transition(orderIn("pending"), "processing", NOW);
      expect(events[0]!.data).to.not.have.property("reason");
    });

    it("throws IllegalTransitionError naming both statuses for a forbidden transition", () => {
      const attempt = () => transition(orderIn("pending"), "shipped", NOW);
      expect(attempt).to.throw(IllegalTransitionError).with.property("from", "pending");
      expect(attempt).to.throw(IllegalTransitionError).with.property("to", "shipped");
    });

    it("does not change the order it was given", () => {
      const before = orderIn("pending");
      transition(before, "processing", NOW);
      expect(before.status).to.equal("pending");
      expect(before.history).to.have.length(1);
    });
  });

  describe("onStockReserved", () => {
    const reservation = {
      lines: [{ sku: "SKU-1", quantity: 3, unit_price: 0.1 }],
      total_amount: 0.3,
      currency: "EUR",
      expires_at: "2026-03-01T10:15:00.000Z",
    };

    it("moves a pending order to processing with line prices, total, currency and reservation expiry", () => {
      const { order, events } = changed(onStockReserved(orderIn("pending"), reservation, NOW));
      expect(order.status).to.equal("processing");
      expect(order.items).to.deep.equal([{ sku: "SKU-1", item_name: "Bolt", quantity: 3, unit_price: 0.1 }]);
      expect(order).to.include({ total_amount: 0.3, currency: "EUR", reservation_expires_at: "2026-03-01T10:15:00.000Z" });
      expect(events.map((e) => e.type)).to.deep.equal(["order.status_changed"]);
    });

    it("leaves the price off an item the reservation does not list", () => {
      const pending = orderIn("pending", { items: [{ sku: "SKU-1", item_name: "Bolt", quantity: 3 }, { sku: "SKU-2", item_name: "Nut", quantity: 1 }] });
      const { order } = changed(onStockReserved(pending, reservation, NOW));
      expect(order.items[1]).to.deep.equal({ sku: "SKU-2", item_name: "Nut", quantity: 1 });
    });

    for (const status of ["processing", "cancelled", "failed"] as const) {
      it(`ignores a reservation for a ${status} order`, () => {
        expect(onStockReserved(orderIn(status), reservation, NOW).kind).to.equal("ignore");
      });
    }
  });

  describe("onStockRejected", () => {
    it("fails a pending order with the rejection's reason", () => {
      const { order } = changed(onStockRejected(orderIn("pending"), "unknown_sku", NOW));
      expect(order).to.include({ status: "failed", status_reason: "unknown_sku" });
    });

    it("ignores a rejection for an order no longer pending", () => {
      expect(onStockRejected(orderIn("cancelled"), "out_of_stock", NOW).kind).to.equal("ignore");
    });
  });

  describe("onPaymentCaptured", () => {
    it("confirms a processing order and records the payment id", () => {
      const { order } = changed(onPaymentCaptured(orderIn("processing"), "pay-1", NOW));
      expect(order).to.include({ status: "confirmed", payment_id: "pay-1" });
    });

    it("waits while the order is pending (the reservation has not been applied)", () => {
      expect(onPaymentCaptured(orderIn("pending"), "pay-1", NOW).kind).to.equal("wait");
    });

    for (const status of ["cancelled", "failed", "confirmed"] as const) {
      it(`ignores a capture for a ${status} order`, () => {
        expect(onPaymentCaptured(orderIn(status), "pay-1", NOW).kind).to.equal("ignore");
      });
    }
  });

  describe("onPaymentDeclined", () => {
    it("fails a processing order as payment_declined and records the payment id", () => {
      const { order } = changed(onPaymentDeclined(orderIn("processing"), "pay-1", NOW));
      expect(order).to.include({ status: "failed", status_reason: "payment_declined", payment_id: "pay-1" });
    });

    it("waits while the order is pending", () => {
      expect(onPaymentDeclined(orderIn("pending"), "pay-1", NOW).kind).to.equal("wait");
    });

    for (const status of ["cancelled", "failed"] as const) {
      it(`ignores a decline for a ${status} order`, () => {
        expect(onPaymentDeclined(orderIn(status), "pay-1", NOW).kind).to.equal("ignore");
      });
    }
  });

  describe("expireReservation", () => {
    it("fails a processing order whose reservation expired as reservation_expired", () => {
      const { order } = changed(expireReservation(orderIn("processing", { reservation_expires_at: "2026-03-01T10:04:59.000Z" }), NOW));
      expect(order).to.include({ status: "failed", status_reason: "reservation_expired" });
    });

    it("expires a reservation exactly at its expiry time", () => {
      expect(expireReservation(orderIn("processing", { reservation_expires_at: NOW.toISOString() }), NOW).kind).to.equal("change");
    });

    it("ignores a processing order whose reservation has not expired yet", () => {
      expect(expireReservation(orderIn("processing", { reservation_expires_at: "2026-03-01T10:05:01.000Z" }), NOW).kind).to.equal("ignore");
    });

    it("ignores a processing order with no reservation expiry", () => {
      expect(expireReservation(orderIn("processing"), NOW).kind).to.equal("ignore");
    });

    for (const status of ["pending", "confirmed", "cancelled", "failed"] as const) {
      it(`ignores a ${status} order even past its expiry`, () => {
        expect(expireReservation(orderIn(status, { reservation_expires_at: "2026-03-01T10:00:00.000Z" }), NOW).kind).to.equal("ignore");
      });
    }
  });

  describe("onShipmentCreated", () => {
    const shipment = { shipment_id: "s-1", tracking_number: "LGX0123456789" };

    it("records the shipment id and tracking number and emits order.updated, keeping the status", () => {
      const { order, events } = changed(onShipmentCreated(orderIn("confirmed"), shipment, NOW));
      expect(order).to.include({ status: "confirmed", shipment_id: "s-1", tracking_number: "LGX0123456789", updated_at: NOW.toISOString() });
      expect(events).to.have.length(1);
      expect(events[0]!.type).to.equal("order.updated");
      expect(events[0]!.data).to.deep.include({ order_id: "o-1" });
    });

    it("ignores the same shipment a second time", () => {
      const { order } = changed(onShipmentCreated(orderIn("confirmed"), shipment, NOW));
      expect(onShipmentCreated(order, shipment, NOW).kind).to.equal("ignore");
    });
  });

  describe("onShipmentStatus", () => {
    it("ships a confirmed order on picked_up", () => {
      expect(changed(onShipmentStatus(orderIn("confirmed"), "picked_up", NOW)).order.status).to.equal("shipped");
    });

    it("delivers a shipped order on delivered", () => {
      expect(changed(onShipmentStatus(orderIn("shipped"), "delivered", NOW)).order.status).to.equal("delivered");
    });

    it("waits with delivered while the pickup has not been applied (order confirmed)", () => {
      expect(onShipmentStatus(orderIn("confirmed"), "delivered", NOW).kind).to.equal("wait");
    });

    for (const status of ["pending", "processing"] as const) {
      it(`waits with picked_up while the order is ${status}`, () => {
        expect(onShipmentStatus(orderIn(status), "picked_up", NOW).kind).to.equal("wait");
      });
    }

    it("ignores picked_up for an order already shipped", () => {
      expect(onShipmentStatus(orderIn("shipped"), "picked_up", NOW).kind).to.equal("ignore");
    });

    it("ignores a late picked_up for an order already delivered", () => {
      expect(onShipmentStatus(orderIn("delivered"), "picked_up", NOW).kind).to.equal("ignore");
    });

    it("ignores delivered for an order already delivered", () => {
      expect(onShipmentStatus(orderIn("delivered"), "delivered", NOW).kind).to.equal("ignore");
    });

    it("ignores picked_up for a cancelled order", () => {
      expect(onShipmentStatus(orderIn("cancelled"), "picked_up", NOW).kind).to.equal("ignore");
    });

    for (const scan of ["in_transit", "out_for_delivery", "delivery_failed"]) {
      it(`ignores the ${scan} scan`, () => {
        expect(onShipmentStatus(orderIn("shipped"), scan, NOW).kind).to.equal("ignore");
      });
    }
  });

  describe("cancelOrder", () => {
    for (const status of ["pending", "processing", "confirmed"] as const) {
      it(`cancels a ${status} order, emitting order.status_changed then order.cancelled`, () => {
        const { order, events } = changed(cancelOrder(orderIn(status), NOW));
        expect(order.status).to.equal("cancelled");
        expect(events.map((e) => e.type)).to.deep.equal(["order.status_changed", "order.cancelled"]);
        expect(events[0]!.data).to.deep.include({ status: "cancelled", previous_status: status });
        expect(events[1]!.data).to.deep.equal({ order_id: "o-1", previous_status: status });
      });
    }

    for (const status of ["shipped", "delivered", "failed"] as const) {
      it(`throws IllegalTransitionError for a ${status} order`, () => {
        expect(() => cancelOrder(orderIn(status), NOW)).to.throw(IllegalTransitionError);
      });
    }

    it("ignores an order already cancelled", () => {
      expect(cancelOrder(orderIn("cancelled"), NOW).kind).to.equal("ignore");
    });
  });

  describe("operatorTransition", () => {
    it("ships a confirmed order with the reason set_by_operator", () => {
      const { order, events } = changed(operatorTransition(orderIn("confirmed"), "shipped", NOW));
      expect(order.status).to.equal("shipped");
      expect(order.history.at(-1)).to.deep.equal({ status: "shipped", at: NOW.toISOString(), reason: "set_by_operator" });
      expect(events[0]!.data).to.deep.include({ reason: "set_by_operator" });
    });

    it("delivers a shipped order", () => {
      expect(changed(operatorTransition(orderIn("shipped"), "delivered", NOW)).order.status).to.equal("delivered");
    });

    it("cancels through cancelOrder, emitting order.cancelled", () => {
      const { events } = changed(operatorTransition(orderIn("processing"), "cancelled", NOW));
      expect(events.map((e) => e.type)).to.deep.equal(["order.status_changed", "order.cancelled"]);
    });

    it("ignores a status the order already has", () => {
      expect(operatorTransition(orderIn("shipped"), "shipped", NOW).kind).to.equal("ignore");
    });

    it("throws IllegalTransitionError for a transition the status machine forbids", () => {
      expect(() => operatorTransition(orderIn("pending"), "delivered", NOW)).to.throw(IllegalTransitionError);
    });

    for (const to of ["pending", "processing", "confirmed", "failed"] as const) {
      it(`throws IllegalTransitionError for ${to}, which only the saga sets`, () => {
        expect(() => operatorTransition(orderIn("pending"), to, NOW)).to.throw(IllegalTransitionError, "saga");
      });
    }
  });
});

describe("events that overtake the one they build on", () => {
  const reserved = { lines: [{ sku: "SKU-1", quantity: 2, unit_price: 5 }], total_amount: 10, currency: "EUR", expires_at: "2026-03-01T10:20:00.000Z" };
  const captured = { type: "payment.captured" as const, payment_id: "pay-1" };

  it("keeps a payment captured before the reservation on the order, emitting nothing", () => {
    const { order, events } = changed(applyInOrder(orderIn("pending"), (o) => onPaymentCaptured(o, "pay-1", NOW), captured, NOW));
    expect(order.status).to.equal("pending");
    expect(order.deferred).to.deep.equal([captured]);
    expect(events).to.deep.equal([]);
    expect(publicOrder(order)).to.not.have.property("deferred");
  });

  it("ignores the same early event delivered again", () => {
    const waiting = orderIn("pending", { deferred: [captured] });
    expect(applyInOrder(waiting, (o) => onPaymentCaptured(o, "pay-1", NOW), captured, NOW).kind).to.equal("ignore");
  });

  it("applies the kept payment as soon as the reservation is: processing, then confirmed, in one change", () => {
    const waiting = orderIn("pending", { deferred: [captured] });
    const { order, events } = changed(applyInOrder(waiting, (o) => onStockReserved(o, reserved, NOW), undefined, NOW));
    expect(order.status).to.equal("confirmed");
    expect(order.payment_id).to.equal("pay-1");
    expect(order).to.not.have.property("deferred");
    expect(events.map((e) => e.type === "order.status_changed" && e.data.status)).to.deep.equal(["processing", "confirmed"]);
    expect(order.history.map((h) => h.status)).to.deep.equal(["pending", "processing", "confirmed"]);
  });

  it("drops a kept payment once the order ended otherwise (the payment service refunds it)", () => {
    const waiting = orderIn("pending", { deferred: [captured] });
    const { order } = changed(applyInOrder(waiting, (o) => cancelOrder(o, NOW), undefined, NOW));
    expect(order.status).to.equal("cancelled");
    expect(order).to.not.have.property("deferred");
  });

  it("delivers a parcel whose delivery scan came before its pickup's", () => {
    const delivered = { type: "shipment.status_changed" as const, status: "delivered" };
    const confirmed = orderIn("confirmed");
    const kept = changed(applyInOrder(confirmed, (o) => onShipmentStatus(o, "delivered", NOW), delivered, NOW)).order;
    expect(kept.status).to.equal("confirmed");
    const { order } = changed(applyInOrder(kept, (o) => onShipmentStatus(o, "picked_up", NOW), { type: "shipment.status_changed", status: "picked_up" }, NOW));
    expect(order.status).to.equal("delivered");
  });

  it("still says wait for an early event it cannot keep", () => {
    expect(applyInOrder(orderIn("pending"), (o) => onPaymentCaptured(o, "pay-1", NOW), undefined, NOW).kind).to.equal("wait");
  });
});
