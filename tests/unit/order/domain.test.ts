import { expect } from "chai";
import { canTransition, createOrder, ORDER_STATUSES, publicOrder, replayOutcome, TRANSITIONS } from "../../../services/order/domain.ts";
import { newOrder } from "../../support/fixtures.ts";


describe("order domain", () => {
  it("creates a pending order with its first history entry and the order.created data", () => {
    const { order, event } = createOrder(newOrder, "o-1", "2026-01-01T00:00:00.000Z");
    expect(order).to.include({ id: "o-1", status: "pending", created_at: "2026-01-01T00:00:00.000Z", updated_at: "2026-01-01T00:00:00.000Z" });
    expect(order.history).to.deep.equal([{ status: "pending", at: "2026-01-01T00:00:00.000Z" }]);
    expect(event).to.deep.include({ order_id: "o-1", customer_email: "ada@example.com", items: newOrder.items });
  });

  it("treats a missing payment as an accepted card", () => {
    expect(createOrder(newOrder, "o-1", "t").event.payment).to.deep.equal({ method: "card" });
    const declined = createOrder({ ...newOrder, payment: { method: "card", card_token: "tok_declined" } }, "o-2", "t");
    expect(declined.event.payment).to.deep.equal({ method: "card", card_token: "tok_declined" });
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
