import { expect } from "chai";
import { api, apiAs, deadLettersOf, deliveries, eventually, itemOf, mailTo, notificationsOf, orderOf, paymentsOf, placeOrder, publishThrough, stock, waitForStatus } from "../shop.ts";
import { devApiKey } from "../../support/credentials.ts";

const customerHeaders = () => ({ "x-api-key": devApiKey("customer").key });

describe("e2e: events delivered twice, and poison events", function () {
  this.timeout(120_000);

  it("applies an order.created published again through the sidecar (twice, one CloudEvent id) once: one reservation, one charge, one email", async () => {
    const sku = await stock(10, 2);
    const order = await placeOrder([{ sku, quantity: 2 }]);
    await waitForStatus(order.id, "confirmed");
    const full = await orderOf(order.id);
    const before = { applied: await deliveries("inventory", "order.created", "applied"), duplicate: await deliveries("inventory", "order.created", "duplicate") };
    const notificationSeen = async () => (await deliveries("notification", "order.created", "applied")) + (await deliveries("notification", "order.created", "duplicate"));
    const notificationBefore = await notificationSeen();

    const again = {
      specversion: "1.0",
      id: `replayed-${order.id}`,
      source: "order",
      type: "order.created",
      datacontenttype: "application/json",
      data: {
        order_id: order.id,
        customer_name: "Grace Hopper",
        customer_email: order.customer_email,
        origin_address: "1 Depot Road, Rotterdam",
        destination_address: "42 Harbour Street, Antwerp",
        package_weight: 3.2,
        items: full.items.map(({ sku: s, item_name, quantity }) => ({ sku: s, item_name, quantity })),
        payment: { method: "card" },
        created_at: full.history[0]!.at,
      },
    };
    await publishThrough("order", "orders", again);
    await publishThrough("order", "orders", again);

    // inventory applies the id once (the reservation exists: no effect); the
    // second copy is dropped as a duplicate, by our claim markers or by a
    // broker that deduplicates ids itself (JetStream).
    await eventually(() => deliveries("inventory", "order.created", "applied"), (n) => n >= before.applied + 1);
    const copies = await eventually(
      async () => (await deliveries("inventory", "order.created", "applied")) + (await deliveries("inventory", "order.created", "duplicate")),
      (n) => n >= before.applied + before.duplicate + 2,
      5_000,
    ).catch(() => undefined);
    expect(await deliveries("inventory", "order.created", "applied")).to.equal(before.applied + 1);
    if (copies !== undefined) expect(await deliveries("inventory", "order.created", "duplicate")).to.equal(before.duplicate + 1);
    expect(await itemOf(sku)).to.include({ reserved: 2, on_hand: 10 });
    expect(await paymentsOf(order.id)).to.have.length(1);
    // notification sees the copies (and, on a slow broker, the original) in
    // its own time; a broker that deduplicates ids (JetStream) hands it one.
    await eventually(notificationSeen, (n) => n >= notificationBefore + 2, 5_000).catch(() => undefined);
    await eventually(() => notificationsOf(order.id), (list) => list.some((n) => n.template === "order_received"));
    expect((await notificationsOf(order.id)).filter((n) => n.template === "order_received")).to.have.length(1);
    expect(mailTo(order.customer_email).filter((m) => m.headers.subject?.startsWith("We received"))).to.have.length(1);
    expect((await orderOf(order.id)).status).to.equal("confirmed");
  });

  it("parks a poison event in the subscriber's dead-letter topic while other orders keep flowing", async () => {
    const poisonId = `poison-${Date.now()}`;
    await publishThrough("order", "orders", {
      specversion: "1.0",
      id: poisonId,
      source: "order",
      type: "order.created",
      datacontenttype: "application/json",
      // No items, no customer: no service can act on it.
      data: { order_id: poisonId },
    });
    const sku = await stock(3, 1);
    const next = await placeOrder([{ sku, quantity: 1 }]);
    await waitForStatus(next.id, "confirmed");
    const letters = await eventually(
      () => deadLettersOf("inventory"),
      (byTopic) => (byTopic["inventory-orders-dead-letter"] ?? []).some((l) => l.id === poisonId),
    );
    expect(letters["inventory-orders-dead-letter"]!.find((l) => l.id === poisonId)).to.include({ type: "order.created" });
    const notificationLetters = await eventually(
      () => deadLettersOf("notification"),
      (byTopic) => (byTopic["notification-orders-dead-letter"] ?? []).some((l) => l.id === poisonId),
    );
    expect(notificationLetters["notification-orders-dead-letter"]!.map((l) => l.id)).to.include(poisonId);

    // The operator's turn, through the gateway: re-driven, it is still
    // poison and stays; discarded with a reason, it is gone.
    const redriven = await api().post(`/api/v1/dead-letters/inventory/redrive?topic=inventory-orders-dead-letter&id=${poisonId}`).expect(200);
    expect(redriven.body.redriven).to.deep.equal([{ topic: "inventory-orders-dead-letter", id: poisonId, outcome: "dropped" }]);
    await api().delete(`/api/v1/dead-letters/inventory/inventory-orders-dead-letter/${poisonId}`).send({}).expect(422);
    await api().delete(`/api/v1/dead-letters/inventory/inventory-orders-dead-letter/${poisonId}`).send({ reason: "a test's poison event" }).expect(204);
    expect((await deadLettersOf("inventory"))["inventory-orders-dead-letter"] ?? []).to.not.deep.include({ id: poisonId });
    await api().delete(`/api/v1/dead-letters/inventory/inventory-orders-dead-letter/${poisonId}`).send({ reason: "again" }).expect(404);
    expect((await apiAs(customerHeaders()).get("/api/v1/dead-letters/inventory")).status).to.equal(403);
  });
});
