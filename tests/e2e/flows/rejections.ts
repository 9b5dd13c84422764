import { expect } from "chai";
import { eventually, itemOf, notificationsOf, paymentsOf, placeOrder, shipmentsOf, stock, unique, waitForMail, waitForStatus } from "../shop.ts";

describe("e2e: orders the saga rejects", function () {
  this.timeout(120_000);

  it("fails an order for more than is available (out_of_stock), holding no stock and charging nothing", async () => {
    const plenty = await stock(10, 2);
    const scarce = await stock(1, 3);
    const order = await placeOrder([
      { sku: plenty, quantity: 2 },
      { sku: scarce, quantity: 2 },
    ]);
    const failed = await waitForStatus(order.id, "failed");
    expect(failed.status_reason).to.equal("out_of_stock");
    // All or nothing: the line that could be reserved was not.
    expect(await itemOf(plenty)).to.include({ reserved: 0, available: 10 });
    expect(await itemOf(scarce)).to.include({ reserved: 0, available: 1 });
    expect(await paymentsOf(order.id)).to.deep.equal([]);
    await waitForMail(order.customer_email, [`We could not fulfil your order ${order.id}`]);
  });

  it("fails an order for an item that does not exist (unknown_sku)", async () => {
    const known = await stock(10, 2);
    const order = await placeOrder([
      { sku: known, quantity: 1 },
      { sku: unique("NO-SUCH-SKU"), quantity: 1 },
    ]);
    const failed = await waitForStatus(order.id, "failed");
    expect(failed.status_reason).to.equal("unknown_sku");
    expect((await itemOf(known)).reserved).to.equal(0);
    expect(await paymentsOf(order.id)).to.deep.equal([]);
  });

  it("fails an order whose card is declined (payment_declined) and gives its stock back", async () => {
    const sku = await stock(4, 5);
    const order = await placeOrder([{ sku, quantity: 3 }], { card: "tok_declined" });
    const failed = await waitForStatus(order.id, "failed");
    expect(failed.status_reason).to.equal("payment_declined");
    const [payment] = await paymentsOf(order.id);
    expect(payment).to.include({ status: "declined", decline_reason: "insufficient_funds", amount: 15 });
    await eventually(() => itemOf(sku), (i) => i.reserved === 0);
    expect(await itemOf(sku)).to.include({ on_hand: 4, available: 4 });
    expect(await shipmentsOf(order.id)).to.deep.equal([]);
    const log = await eventually(() => notificationsOf(order.id), (n) => n.some((x) => x.template === "order_failed"));
    expect(log.map((n) => n.template)).to.have.members(["order_received", "order_failed"]);
  });
});
