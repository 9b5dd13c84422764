import { expect } from "chai";
import { eventually, itemOf, orderOf, paymentsOf, placeOrder, stock } from "../shop.ts";

describe("e2e: concurrent orders for scarce stock", function () {
  this.timeout(180_000);

  it("confirms exactly as many orders as there are units when more orders than units arrive at once", async () => {
    const units = 5;
    const sku = await stock(units, 9.99);
    const orders = await Promise.all(Array.from({ length: 8 }, () => placeOrder([{ sku, quantity: 1 }])));
    const settled = await eventually(
      () => Promise.all(orders.map((o) => orderOf(o.id))),
      (all) => all.every((o) => o.status === "confirmed" || o.status === "failed"),
      90_000,
    );
    const confirmed = settled.filter((o) => o.status === "confirmed");
    const failed = settled.filter((o) => o.status === "failed");
    expect(confirmed).to.have.length(units);
    expect(failed.map((o) => o.status_reason)).to.deep.equal(Array(8 - units).fill("out_of_stock"));
    expect(await itemOf(sku)).to.include({ on_hand: units, reserved: units, available: 0 });
    for (const order of confirmed) expect((await paymentsOf(order.id))[0]).to.include({ status: "captured", amount: 9.99 });
    for (const order of failed) expect(await paymentsOf(order.id)).to.deep.equal([]);
  });
});
