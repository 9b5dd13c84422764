import { expect } from "chai";
import {
  api,
  eventually,
  itemOf,
  notificationsOf,
  orderOf,
  paymentsOf,
  placeOrder,
  scan,
  shipmentsOf,
  stock,
  suiteClock,
  waitForMail,
  waitForStatus,
} from "../shop.ts";

describe("e2e: an order from placement to delivery", function () {
  this.timeout(120_000);

  before(() => {
    suiteClock.startedAt = Date.now();
  });

  it("reserves, charges, ships, tracks and delivers it, emailing the customer at each step", async () => {
    const bolts = await stock(20, 0.1, 2);
    const nuts = await stock(5, 12.35);
    const placed = await placeOrder([
      { sku: bolts, quantity: 3 },
      { sku: nuts, quantity: 2 },
    ]);
    expect(placed.status).to.equal("pending");

    const confirmed = await waitForStatus(placed.id, "confirmed");
    // Prices come from inventory; the total is exact: 3 x 0.10 + 2 x 12.35.
    expect(confirmed.total_amount).to.equal(25);
    expect(confirmed.items.map((i) => i.unit_price)).to.deep.equal([0.1, 12.35]);
    expect(confirmed.history.map((h) => h.status)).to.deep.equal(["pending", "processing", "confirmed"]);
    const [payment] = await paymentsOf(placed.id);
    expect(payment).to.include({ order_id: placed.id, amount: 25, status: "captured", id: confirmed.payment_id });
    expect((await itemOf(bolts)).reserved).to.equal(3);

    const withShipment = await eventually(() => orderOf(placed.id), (o) => o.tracking_number !== undefined);
    const [shipment] = await shipmentsOf(placed.id);
    expect(shipment).to.include({ status: "created", tracking_number: withShipment.tracking_number, id: withShipment.shipment_id });
    expect(shipment!.courier).to.be.a("string").and.not.equal("");

    await scan(shipment!.id, { status: "picked_up", location: "Rotterdam depot" });
    await waitForStatus(placed.id, "shipped");
    // The reservation became a real decrement of stock on hand.
    await eventually(() => itemOf(bolts), (i) => i.reserved === 0);
    expect(await itemOf(bolts)).to.include({ on_hand: 17, reserved: 0, available: 17 });
    expect(await itemOf(nuts)).to.include({ on_hand: 3, reserved: 0 });

    await scan(shipment!.id, { status: "in_transit", location: "Breda hub" });
    await api().post(`/api/v1/shipments/${shipment!.id}/locations`).send({ lat: 51.59, lon: 4.78, description: "A16" }).expect(200);
    await scan(shipment!.id, { status: "out_for_delivery" });
    const tracked = (await api().get(`/api/v1/track/${shipment!.tracking_number}`).expect(200)).body;
    expect(tracked).to.include({ status: "out_for_delivery" });
    expect(tracked.last_location).to.include({ lat: 51.59, lon: 4.78 });
    expect(tracked).to.not.have.any.keys("origin_address", "destination_address", "order_id");

    await scan(shipment!.id, { status: "delivered", location: "Antwerp" });
    const delivered = await waitForStatus(placed.id, "delivered");
    expect(delivered.history.map((h) => h.status)).to.deep.equal(["pending", "processing", "confirmed", "shipped", "delivered"]);
    expect((await api().get(`/api/v1/track/${shipment!.tracking_number}`).expect(200)).body.events.map((e: { status: string }) => e.status)).to.deep.equal([
      "created",
      "picked_up",
      "in_transit",
      "out_for_delivery",
      "delivered",
    ]);

    const subjects = [
      `We received your order ${placed.id}`,
      `Your order ${placed.id} is confirmed`,
      `Your order ${placed.id} is on its way`,
      `Your order ${placed.id} was delivered`,
    ];
    const mail = await waitForMail(placed.customer_email, subjects);
    expect(mail.map((m) => m.headers.subject).sort()).to.deep.equal([...subjects].sort());
    expect(mail[0]!.headers.from).to.contain("orders@logistics.example");
    const log = await eventually(() => notificationsOf(placed.id), (n) => n.length === 4);
    expect(log.map((n) => n.template)).to.have.members(["order_received", "order_confirmed", "order_shipped", "order_delivered"]);
    expect(log.every((n) => n.channel === "email" && n.status === "sent" && n.recipient === placed.customer_email)).to.equal(true);
  });

  it("assigns couriers least-loaded: two shipments waiting at once get different couriers", async () => {
    const sku = await stock(10, 1);
    const first = await placeOrder([{ sku, quantity: 1 }]);
    const second = await placeOrder([{ sku, quantity: 1 }]);
    const [a] = await eventually(() => shipmentsOf(first.id), (s) => s.length === 1);
    const [b] = await eventually(() => shipmentsOf(second.id), (s) => s.length === 1);
    expect(a!.courier).to.not.equal(b!.courier);
  });

  it("alerts operations by email when available stock falls below an item's threshold", async () => {
    const sku = await stock(5, 1, 3);
    const order = await placeOrder([{ sku, quantity: 3 }]);
    await waitForStatus(order.id, "confirmed");
    await waitForMail("operations@logistics.example", [`Low stock: ${sku}`]);
  });
});
