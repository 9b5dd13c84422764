import { expect } from "chai";
import { devApiKey, devToken } from "../../support/credentials.ts";
import { api, apiAs, eventually, ledger, orderRequest, shipmentsOf, stock, unique, waitForStatus } from "../shop.ts";
import type { OrderBody } from "../shop.ts";
import { system } from "../../support/system-hooks.ts";

describe("e2e: who may call what, through the gateway", function () {
  this.timeout(90_000);

  it("asks for credentials, keeps customers to their own orders and couriers to their own shipments, and tracking public", async () => {
    const sku = await stock(10, 4);
    const email = `${unique("signed-in")}@example.com`.toLowerCase();
    const customer = { authorization: `Bearer ${await devToken({ sub: unique("customer"), roles: ["customer"], email })}` };
    const stranger = { authorization: `Bearer ${await devToken({ sub: unique("customer"), roles: ["customer"], email: "someone@example.com" })}` };

    const anonymous = await apiAs().post("/api/v1/orders").send(orderRequest([{ sku, quantity: 1 }], { email }));
    expect(anonymous.status).to.equal(401);
    expect(anonymous.headers["www-authenticate"]).to.match(/^Bearer realm="logistics"/);
    expect((await apiAs(customer).post("/api/v1/orders").send(orderRequest([{ sku, quantity: 1 }], { email: "someone@example.com" }))).status).to.equal(403);

    const placed = await apiAs(customer).post("/api/v1/orders").send(orderRequest([{ sku, quantity: 1 }], { email })).expect(201);
    const order = placed.body as OrderBody;
    ledger.orders.set(order.id, { lines: [{ sku, item_name: `Item ${sku}`, quantity: 1 }] });
    expect((await apiAs(customer).get(`/api/v1/orders/${order.id}`).expect(200)).body.customer_email).to.equal(email);
    expect((await apiAs(stranger).get(`/api/v1/orders/${order.id}`)).status).to.equal(404);
    expect((await apiAs(stranger).delete(`/api/v1/orders/${order.id}`)).status).to.equal(404);
    expect((await apiAs(customer).get("/api/v1/orders")).status).to.equal(403);
    expect((await apiAs(customer).get(`/api/v1/payments?order_id=${order.id}`)).status).to.equal(403);

    await waitForStatus(order.id, "confirmed");
    const [shipment] = await eventually(() => shipmentsOf(order.id), (list) => list.length > 0);
    const own = { "x-api-key": devApiKey("courier", shipment!.courier).key };
    const other = { "x-api-key": devApiKey("courier", ["ada", "grace", "linus", "margaret"].find((c) => c !== shipment!.courier)).key };
    expect((await apiAs(other).post(`/api/v1/shipments/${shipment!.id}/events`).send({ status: "picked_up" })).status).to.equal(404);
    expect((await apiAs(own).get(`/api/v1/shipments/${shipment!.id}`).expect(200)).body.id).to.equal(shipment!.id);
    await apiAs(own).post(`/api/v1/shipments/${shipment!.id}/events`).send({ status: "picked_up", location: "Depot" }).expect(200);
    await waitForStatus(order.id, "shipped");
    // Picked up: too late to cancel, for the customer as for anyone.
    expect((await apiAs(customer).delete(`/api/v1/orders/${order.id}`)).status).to.equal(409);

    const tracked = await apiAs().get(`/api/v1/track/${shipment!.tracking_number}`).expect(200);
    expect(tracked.body.status).to.equal("picked_up");
  });

  it("refuses expired tokens and unknown keys with 401, methods a path does not take with 405, and never forwards them", async () => {
    const expired = await devToken({ sub: "late", roles: ["operator"] }, { expired: true });
    const refused = await apiAs({ authorization: `Bearer ${expired}` }).get("/api/v1/orders");
    expect(refused.status).to.equal(401);
    expect(refused.headers["www-authenticate"]).to.contain('error="invalid_token"');
    expect((await apiAs({ "x-api-key": "lgx_made_up" }).get("/api/v1/orders")).status).to.equal(401);
    const trace = await api().trace("/api/v1/orders");
    expect(trace.status).to.equal(405);
    expect(trace.headers.allow).to.equal("POST, GET, HEAD");
    expect((await api().get("/api/v1/orders/%1C%1B")).status).to.equal(422);
    expect((await api().get("/api/v1/orders/a%23b")).status, "a # Dapr cannot carry").to.equal(422);
  });

  it("answers client mistakes itself or with the service's 4xx, and a burst of them never opens a circuit breaker", async () => {
    // Far more than the 10 consecutive failures that open the breaker to a
    // service (components/common/resiliency.yaml): ids that do not exist
    // (order's 404) and bodies that break the rules (order's 422).
    for (let i = 0; i < 25; i++) {
      expect((await api().get(`/api/v1/orders/${crypto.randomUUID()}`)).status).to.equal(404);
      expect((await api().post("/api/v1/orders").send({ items: "none" })).status).to.equal(422);
    }
    const list = await api().get("/api/v1/orders?page_size=1");
    expect(list.status, JSON.stringify(list.body)).to.equal(200);
  });

  it("sends security headers, refuses oversized headers with 431, and has CORS off unless configured", async () => {
    const res = await api().get("/api/v1/orders?page_size=1").set("origin", "https://shop.example.com").expect(200);
    expect(res.headers).to.include({ "x-content-type-options": "nosniff", "x-frame-options": "DENY", "cache-control": "no-store" });
    expect(res.headers["access-control-allow-origin"]).to.equal(undefined);
    const big = await fetch(`${system().gatewayUrl}/api/v1/orders`, { headers: { "x-padding": "x".repeat(20_000) } });
    expect(big.status).to.equal(431);
    expect(big.headers.get("content-type")).to.equal("application/problem+json");
    expect(((await big.json()) as { status: number }).status).to.equal(431);
  });
});
