import { expect } from "chai";
import { api, eventually, ledger, orderRequest, placeOrder, stock, waitForStatus } from "../shop.ts";

describe("e2e: requests", function () {
  this.timeout(60_000);

  it("answers the same Idempotency-Key and body with the same order, and another body under it with 409", async () => {
    const sku = await stock(5, 1);
    const body = orderRequest([{ sku, quantity: 1 }]);
    const key = `key-${Date.now()}`;
    const first = await api().post("/api/v1/orders").set("Idempotency-Key", key).send(body).expect(201);
    ledger.orders.set(first.body.id, { lines: body.items });
    const repeat = await api().post("/api/v1/orders").set("Idempotency-Key", key).send(body);
    expect(repeat.status).to.be.oneOf([200, 201]);
    expect(repeat.body.id).to.equal(first.body.id);
    const other = await api()
      .post("/api/v1/orders")
      .set("Idempotency-Key", key)
      .send({ ...body, package_weight: 9 })
      .expect(409);
    expect(other.body.type).to.match(/idempotency-key-reused$/);
    await waitForStatus(first.body.id, "confirmed");
  });

  it("answers bad input with 400/422 problem+json naming each field, and creates nothing", async () => {
    const before = (await api().get("/api/v1/orders?page_size=1").expect(200)).body.total;
    const malformed = await api().post("/api/v1/orders").set("content-type", "application/json").send("{not json").expect(400);
    expect(malformed.headers["content-type"]).to.match(/application\/problem\+json/);
    const invalid = await api()
      .post("/api/v1/orders")
      .send({ ...orderRequest([{ sku: "X", quantity: 0 }]), customer_email: "nope", destination_address: "" })
      .expect(422);
    expect(invalid.body.errors.map((e: { field: string }) => e.field)).to.have.members(["customer_email", "destination_address", "items[0].quantity"]);
    const badItem = await api().put("/api/v1/inventory/E2E-BAD").send({ item_name: "x", unit_price: -1, on_hand: 1.5 }).expect(422);
    expect(badItem.body.errors.map((e: { field: string }) => e.field)).to.have.members(["unit_price", "on_hand"]);
    await api().get("/api/v1/inventory/E2E-BAD").expect(404);
    const badScan = await api().post("/api/v1/shipments/nope/events").send({ status: "teleported" }).expect(422);
    expect(badScan.body.errors[0].field).to.equal("status");
    const badPage = await api().get("/api/v1/orders?page_size=0&status=lost").expect(422);
    expect(badPage.body.errors.map((e: { field: string }) => e.field)).to.have.members(["page_size", "status"]);
    await api().get("/api/v1/payments").expect(422);
    await api().get("/api/v1/orders/does-not-exist").expect(404);
    await api().get("/api/v1/shipments/does-not-exist").expect(404);
    await api().get("/api/v1/track/LGXNOPE").expect(404);
    expect((await api().get("/api/v1/orders?page_size=1").expect(200)).body.total).to.equal(before);
  });

  it("lists orders newest first, by status, in pages", async () => {
    const sku = await stock(5, 1);
    const listedIds = async (query: string) =>
      (await api().get(`/api/v1/orders?${query}`).expect(200)).body.items.map((o: { id: string }) => o.id) as string[];
    // The indexes follow the orders' events, so each order is listed within moments of its creation.
    const a = await placeOrder([{ sku, quantity: 1 }]);
    await eventually(() => listedIds("page_size=100"), (ids) => ids.includes(a.id));
    const b = await placeOrder([{ sku, quantity: 1 }]);
    const all = await eventually(() => listedIds("page_size=100"), (ids) => ids.includes(b.id));
    expect(all.indexOf(b.id)).to.be.below(all.indexOf(a.id));

    await waitForStatus(a.id, "confirmed");
    await waitForStatus(b.id, "confirmed");
    const confirmed = await eventually(() => listedIds("status=confirmed&page_size=100"), (ids) => ids.includes(a.id) && ids.includes(b.id));
    expect(confirmed).to.include.members([a.id, b.id]);
    const page = (await api().get("/api/v1/orders?status=confirmed&page=1&page_size=2").expect(200)).body;
    expect(page).to.include({ page: 1, page_size: 2 });
    expect(page.total).to.be.at.least(2);
    expect(page.items.every((o: { status: string }) => o.status === "confirmed")).to.equal(true);
    expect(await listedIds("status=pending&page_size=100")).to.not.include.members([a.id, b.id]);

    const first = await listedIds("page=1&page_size=2");
    const second = await listedIds("page=2&page_size=2");
    expect(first).to.have.length(2);
    expect(second).to.have.length(2);
    expect(first).to.not.include.members(second);
  });

  it("describes the API in OpenAPI 3.1, and reports metrics", async () => {
    const doc = (await api().get("/openapi.json").expect(200)).body;
    expect(doc.openapi).to.equal("3.1.0");
    expect(Object.keys(doc.paths)).to.include.members(["/api/v1/orders", "/api/v1/orders/{id}", "/api/v1/inventory/{sku}", "/api/v1/track/{tracking_number}"]);
    const metrics = await api().get("/metrics").expect(200);
    expect(metrics.text).to.match(/http_server_requests_total\{/);
  });
});
