/**
 * Asked twice for the same order (the order re-announced because it saw no
 * answer), inventory and payment say their earlier decision again and decide
 * nothing anew.
 */
import { expect } from "chai";
import { Inventory } from "../../../services/inventory/store.ts";
import { Payments } from "../../../services/payment/store.ts";
import { KeyLocks } from "../../../services/kit/coordination/locks.ts";
import { FakePublisher, FakeStateStore } from "../../support/fakes.ts";

const NOW = new Date("2026-03-01T10:00:00.000Z");
const card = { method: "card" as const, card_token: "tok_visa" };

async function inventory() {
  const store = new FakeStateStore();
  const publisher = new FakePublisher();
  const stock = new Inventory(store, new KeyLocks(store), { reservationTtlSeconds: 900, currency: "EUR", now: () => NOW, publisher });
  await stock.put("A", { item_name: "Widget", unit_price: 2.5, on_hand: 3 });
  return { store, publisher, stock };
}

describe("saying a decision again", () => {
  it("inventory: a second order.created gets the same reservation said again, and reserves nothing more", async () => {
    const { store, publisher, stock } = await inventory();
    expect(await stock.reserve("o1", [{ sku: "A", quantity: 2 }], card)).to.equal("reserved");
    const first = store.eventsOf("inventory.reserved")[0];
    expect(await stock.reserve("o1", [{ sku: "A", quantity: 2 }], card)).to.equal("already-decided");
    expect((await stock.item("A"))!.reserved).to.equal(2);
    expect(store.eventsOf("inventory.reserved")).to.have.length(1);
    expect(publisher.events).to.deep.equal([{ topic: "inventory", type: "inventory.reserved", data: first }]);
  });

  it("inventory: a rejection is said again as it was; a tombstone says nothing", async () => {
    const { store, publisher, stock } = await inventory();
    expect(await stock.reserve("o2", [{ sku: "A", quantity: 9 }], card)).to.equal("rejected");
    expect(await stock.reserve("o2", [{ sku: "A", quantity: 9 }], card)).to.equal("already-decided");
    expect(publisher.events).to.deep.equal([{ topic: "inventory", type: "inventory.rejected", data: store.eventsOf("inventory.rejected")[0] }]);
    expect(await stock.release("o3", "cancelled")).to.equal("nothing-held");
    expect(await stock.reserve("o3", [{ sku: "A", quantity: 1 }], card)).to.equal("already-decided");
    expect(publisher.events).to.have.length(1);
    expect((await stock.item("A"))!.reserved).to.equal(0);
  });

  it("inventory: a reservation given back since is said as it was made, so the order can follow the rest of its story", async () => {
    const { store, publisher, stock } = await inventory();
    await stock.reserve("o4", [{ sku: "A", quantity: 1 }], card);
    await stock.release("o4", "payment_declined");
    expect(await stock.reserve("o4", [{ sku: "A", quantity: 1 }], card)).to.equal("already-decided");
    expect(publisher.events.map((e) => e.type)).to.deep.equal(["inventory.reserved"]);
    expect(publisher.events[0]!.data).to.deep.equal(store.eventsOf("inventory.reserved")[0]);
    expect((await stock.item("A"))!.reserved).to.equal(0);
  });

  it("payment: a second inventory.reserved gets the captured or declined charge said again, never a second charge", async () => {
    const store = new FakeStateStore();
    const publisher = new FakePublisher();
    const payments = new Payments(store, new KeyLocks(store), () => NOW, publisher);
    expect(await payments.charge("o1", 5, "EUR", "tok_visa")).to.equal("captured");
    expect(await payments.charge("o1", 5, "EUR", "tok_visa")).to.equal("already-decided");
    expect(await payments.charge("o2", 5, "EUR", "tok_declined")).to.equal("declined");
    expect(await payments.charge("o2", 5, "EUR", "tok_declined")).to.equal("already-decided");
    expect(store.eventsOf("payment.captured")).to.have.length(1);
    expect(publisher.events).to.deep.equal([
      { topic: "payments", type: "payment.captured", data: store.eventsOf("payment.captured")[0] },
      { topic: "payments", type: "payment.declined", data: store.eventsOf("payment.declined")[0] },
    ]);
    // Refunded since (the order ended): nothing to say; the order has moved on.
    expect(await payments.settleEnded("o1", "EUR")).to.equal("refund");
    expect(await payments.charge("o1", 5, "EUR", "tok_visa")).to.equal("already-decided");
    expect(publisher.events).to.have.length(2);
  });
});
