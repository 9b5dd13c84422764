import { expect } from "chai";
import { api, eventually, itemOf, orderOf, paymentsOf, placeOrder, scan, shipmentsOf, stock, waitForMail, waitForStatus } from "../shop.ts";

describe("e2e: cancellation", function () {
  this.timeout(120_000);

  it("cancels before payment: stock back, nothing charged, no shipment", async () => {
    const sku = await stock(6, 4);
    // This card waits for a customer authentication that never comes, so the order stays processing.
    const order = await placeOrder([{ sku, quantity: 2 }], { card: "tok_requires_action" });
    await waitForStatus(order.id, "processing");
    expect((await itemOf(sku)).reserved).to.equal(2);

    const cancelled = (await api().delete(`/api/v1/orders/${order.id}`).expect(200)).body;
    expect(cancelled.status).to.equal("cancelled");
    await eventually(() => itemOf(sku), (i) => i.reserved === 0);
    expect(await itemOf(sku)).to.include({ on_hand: 6, available: 6 });
    const [payment] = await eventually(() => paymentsOf(order.id), (p) => p[0]?.status === "voided");
    expect(payment).to.include({ status: "voided" });
    expect(await shipmentsOf(order.id)).to.deep.equal([]);
    await waitForMail(order.customer_email, [`Your order ${order.id} is cancelled`]);
  });

  it("cancels after payment: refund, stock back, shipment cancelled; cancelling again answers the same", async () => {
    const sku = await stock(6, 7.5);
    const order = await placeOrder([{ sku, quantity: 2 }]);
    await waitForStatus(order.id, "confirmed");
    const [shipment] = await eventually(() => shipmentsOf(order.id), (s) => s.length === 1);
    // The order has learnt its tracking number (shipment.created applied), so
    // nothing but the cancellation changes it from here on.
    await eventually(() => orderOf(order.id), (o) => o.tracking_number !== undefined);

    const first = (await api().delete(`/api/v1/orders/${order.id}`).expect(200)).body;
    expect(first.status).to.equal("cancelled");
    expect((await api().delete(`/api/v1/orders/${order.id}`).expect(200)).body).to.deep.equal(first);

    // The shipment was called off before the order was cancelled.
    expect((await shipmentsOf(order.id))[0]).to.include({ id: shipment!.id, status: "cancelled" });
    const [payment] = await eventually(() => paymentsOf(order.id), (p) => p[0]?.status === "refunded");
    expect(payment).to.include({ amount: 15, status: "refunded" });
    await eventually(() => itemOf(sku), (i) => i.reserved === 0);
    expect(await itemOf(sku)).to.include({ on_hand: 6, available: 6 });
    // A courier can no longer pick it up.
    await scan(shipment!.id, { status: "picked_up" }, 409);
  });

  it("cancels orders while their saga is under way, and every race ends with the money back and the stock released", async () => {
    const sku = await stock(20, 3);
    // Cancelled at once and a little later: reservation, charge and shipment race the cancellation.
    const orders = await Promise.all(Array.from({ length: 4 }, () => placeOrder([{ sku, quantity: 2 }])));
    await Promise.all(
      orders.map(async (order, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 700));
        const answer = await api().delete(`/api/v1/orders/${order.id}`);
        expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      }),
    );
    for (const order of orders) {
      await eventually(
        () => paymentsOf(order.id),
        (payments) => payments.every((p) => p.status === "refunded" || p.status === "voided"),
        30_000,
      );
      const shipments = await shipmentsOf(order.id);
      expect(shipments.every((s) => s.status === "cancelled"), JSON.stringify(shipments)).to.equal(true);
    }
    await eventually(() => itemOf(sku), (i) => i.reserved === 0, 30_000);
    expect(await itemOf(sku)).to.include({ on_hand: 20, available: 20 });
  });

  it("refuses to cancel after pickup (409) and leaves the order shipping", async () => {
    const sku = await stock(3, 2);
    const order = await placeOrder([{ sku, quantity: 1 }]);
    await waitForStatus(order.id, "confirmed");
    const [shipment] = await eventually(() => shipmentsOf(order.id), (s) => s.length === 1);
    await scan(shipment!.id, { status: "picked_up" });

    // At once, before the order has heard of the pickup: tracking still says no.
    const refused = await api().delete(`/api/v1/orders/${order.id}`).expect(409);
    expect(refused.body.type).to.match(/already-picked-up$|illegal-status-transition$/);
    await waitForStatus(order.id, "shipped");
    await api().delete(`/api/v1/orders/${order.id}`).expect(409);
    expect((await paymentsOf(order.id))[0]).to.include({ status: "captured" });
    expect((await orderOf(order.id)).status).to.equal("shipped");
  });

  it("lets an operator move a confirmed order through shipped to delivered, but not back", async () => {
    const sku = await stock(3, 2);
    const order = await placeOrder([{ sku, quantity: 1 }]);
    await waitForStatus(order.id, "confirmed");
    await api().put(`/api/v1/orders/${order.id}/status`).send({ status: "delivered" }).expect(409);
    expect((await api().put(`/api/v1/orders/${order.id}/status`).send({ status: "shipped" }).expect(200)).body.status).to.equal("shipped");
    await eventually(() => itemOf(sku), (i) => i.reserved === 0 && i.on_hand === 2);
    expect((await api().put(`/api/v1/orders/${order.id}/status`).send({ status: "delivered" }).expect(200)).body.status).to.equal("delivered");
    await api().put(`/api/v1/orders/${order.id}/status`).send({ status: "confirmed" }).expect(409);
  });
});
