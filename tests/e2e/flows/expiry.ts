import { expect } from "chai";
import { eventually, itemOf, paymentsOf, placeOrder, stock, waitForMail, waitForStatus } from "../shop.ts";

describe("e2e: reservation expiry", function () {
  this.timeout(120_000);

  it("fails an order whose payment never arrives (reservation_expired), releasing its stock and voiding the charge", async () => {
    const sku = await stock(5, 3);
    const order = await placeOrder([{ sku, quantity: 4 }], { card: "tok_requires_action" });
    await waitForStatus(order.id, "processing");
    expect((await itemOf(sku)).available).to.equal(1);
    // RESERVATION_TTL_SECONDS is 10 in the test system; the sweep runs every 2 s.
    const failed = await waitForStatus(order.id, "failed", 40_000);
    expect(failed.status_reason).to.equal("reservation_expired");
    await eventually(() => itemOf(sku), (i) => i.reserved === 0);
    expect((await itemOf(sku)).available).to.equal(5);
    const [payment] = await eventually(() => paymentsOf(order.id), (p) => p[0]?.status === "voided");
    expect(payment!.status).to.equal("voided");
    await waitForMail(order.customer_email, [`We could not fulfil your order ${order.id}`]);
  });
});
