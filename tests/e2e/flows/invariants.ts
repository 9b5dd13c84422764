/**
 * The invariants of the saga (docs/architecture.md#invariants), checked over everything the suite
 * did once the system is idle: no order lost, none stuck, money and stock
 * adding up. It prints the figures it checked.
 */
import { expect } from "chai";
import { eventually, itemOf, ledger, listAllOrders, orderOf, paymentsOf, suiteClock } from "../shop.ts";
import type { OrderBody } from "../shop.ts";

const cents = (amount: number) => Math.round(amount * 100);

describe("e2e: the invariants over everything the suite did", function () {
  this.timeout(180_000);

  it("loses no order, leaves none stuck, and money and stock add up", async () => {
    // Idle: nothing pending or processing (confirmed and shipped orders wait on a courier).
    const ids = [...ledger.orders.keys()];
    const settled = await eventually(
      () => Promise.all(ids.map((id) => orderOf(id))),
      (orders) => orders.every((o) => o.status !== "pending" && o.status !== "processing"),
      60_000,
    );

    // No order lost: each one accepted is readable and listed.
    const listed = await listAllOrders();
    const listedIds = new Set(listed.map((o) => o.id));
    expect(ids.filter((id) => !listedIds.has(id)), "accepted orders missing from the listing").to.deep.equal([]);
    const everything = new Map<string, OrderBody>(listed.map((o) => [o.id, o]));
    for (const order of settled) everything.set(order.id, order);
    const stuck = [...everything.values()].filter((o) => o.status === "pending" || o.status === "processing");
    expect(stuck.map((o) => `${o.id}: ${o.status}`), "orders stuck").to.deep.equal([]);

    // Money: captured minus refunded equals the totals of confirmed, shipped and delivered orders.
    let captured = 0;
    let refunded = 0;
    let owed = 0;
    for (const order of everything.values()) {
      for (const payment of await paymentsOf(order.id)) {
        if (payment.status === "captured" || payment.status === "refunded") captured += cents(payment.amount);
        if (payment.status === "refunded") refunded += cents(payment.amount);
      }
      if (["confirmed", "shipped", "delivered"].includes(order.status)) owed += cents(order.total_amount ?? 0);
    }
    expect(captured - refunded, "captured - refunded (cents) vs paid-for orders").to.equal(owed);

    // Stock: available never negative; what is reserved is what confirmed orders
    // hold; what left on hand is what shipped; cancelled and failed orders gave theirs back.
    const heldBySku = new Map<string, number>();
    const shippedBySku = new Map<string, number>();
    for (const [id, { lines }] of ledger.orders) {
      const status = everything.get(id)!.status;
      for (const line of lines) {
        if (status === "confirmed") heldBySku.set(line.sku, (heldBySku.get(line.sku) ?? 0) + line.quantity);
        if (status === "shipped" || status === "delivered") shippedBySku.set(line.sku, (shippedBySku.get(line.sku) ?? 0) + line.quantity);
      }
    }
    const problems: string[] = [];
    for (const [sku, stocked] of ledger.stocked) {
      const item = await itemOf(sku);
      const held = heldBySku.get(sku) ?? 0;
      const shipped = shippedBySku.get(sku) ?? 0;
      if (item.available < 0) problems.push(`${sku}: available ${item.available}`);
      if (item.reserved !== held) problems.push(`${sku}: reserved ${item.reserved}, confirmed orders hold ${held}`);
      if (item.on_hand !== stocked - shipped) problems.push(`${sku}: on hand ${item.on_hand}, stocked ${stocked} - shipped ${shipped}`);
    }
    expect(problems).to.deep.equal([]);

    const byStatus: Record<string, number> = {};
    for (const order of everything.values()) byStatus[order.status] = (byStatus[order.status] ?? 0) + 1;
    console.log(
      `      invariants held over ${everything.size} orders (${ledger.orders.size} placed by the e2e suite) ${JSON.stringify(byStatus)}; ` +
        `${ledger.stocked.size} SKUs; captured ${(captured / 100).toFixed(2)}, refunded ${(refunded / 100).toFixed(2)}, ` +
        `owed by confirmed/shipped/delivered orders ${(owed / 100).toFixed(2)}; the e2e suite took ${((Date.now() - suiteClock.startedAt) / 1000).toFixed(1)} s`,
    );
  });
});
