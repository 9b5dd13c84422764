import { expect } from "chai";
import { buildApp } from "../../../services/order/app.ts";
import { DaprError } from "../../../services/kit/ports/errors.ts";
import { appBasics, call, FakePublisher, FakeStateStore } from "../../support/fakes.ts";
import { newOrder } from "../../support/fixtures.ts";

/** Tracking's answer to a shipment cancellation: fine, or too late (picked up). */
class FakeShipments {
  readonly cancelled: string[] = [];
  answer: "cancelled" | "too-late" = "cancelled";
  async cancel(orderId: string) {
    this.cancelled.push(orderId);
    return this.answer;
  }
}

function setup() {
  const store = new FakeStateStore();
  const shipments = new FakeShipments();
  const app = buildApp({ ...appBasics("order"), pubsubName: "pubsub", store, publisher: new FakePublisher(), shipments, stuckAfterSeconds: 60, now: () => new Date("2026-03-01T10:00:00Z") });
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    call(app, { method: "POST", url: "/api/v1/orders", headers: { "content-type": "application/json", ...headers }, payload: JSON.stringify(body) });
  return { app, store, post, shipments };
}

describe("order API", () => {
  it("creates an order (201, Location) and announces it through the outbox", async () => {
    const { store, post } = setup();
    const res = await post(newOrder);
    expect(res.statusCode).to.equal(201);
    const body = res.json();
    expect(res.headers.location).to.equal(`/api/v1/orders/${body.id}`);
    expect(body).to.include({ status: "pending", customer_name: "Ada Lovelace", created_at: "2026-03-01T10:00:00.000Z" });
    expect(store.published).to.have.length(1);
    expect(store.published[0]).to.deep.include({ key: `order:${body.id}`, type: "order.created" });
    expect((store.published[0]!.data as { order_id: string }).order_id).to.equal(body.id);
  });

  it("reads an order back, and answers 404 for an unknown id", async () => {
    const { app, post } = setup();
    const created = (await post(newOrder)).json();
    const read = await call(app, { method: "GET", url: `/api/v1/orders/${created.id}` });
    expect(read.json()).to.deep.equal(created);
    const missing = await call(app, { method: "GET", url: "/api/v1/orders/nope" });
    expect(missing.statusCode).to.equal(404);
    expect(missing.json().type).to.match(/order-not-found$/);
  });

  it("answers a body that breaks the rules with 422 naming each field, and stores nothing", async () => {
    const { store, post } = setup();
    const res = await post({
      ...newOrder,
      customer_email: "nope",
      package_weight: -1,
      package_dimensions: "big",
      items: [{ sku: "S", item_name: "x", quantity: 0 }, { sku: "T", item_name: "y", quantity: 1.5 }],
    });
    expect(res.statusCode).to.equal(422);
    expect(res.json().errors.map((e: { field: string }) => e.field)).to.have.members([
      "customer_email",
      "package_weight",
      "package_dimensions",
      "items[0].quantity",
      "items[1].quantity",
    ]);
    expect(store.data.size).to.equal(0);
    expect(store.published).to.have.length(0);
  });

  it("requires every mandatory field and at least one item", async () => {
    const { post } = setup();
    const res = await post({ items: [] });
    expect(res.statusCode).to.equal(422);
    expect(res.json().errors.map((e: { field: string }) => e.field)).to.have.members([
      "customer_name",
      "customer_email",
      "origin_address",
      "destination_address",
      "package_weight",
      "items",
    ]);
  });

  it("refuses more than 100 items and quantities over 1000", async () => {
    const { post } = setup();
    const many = Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, item_name: "x", quantity: 1 }));
    expect((await post({ ...newOrder, items: many })).statusCode).to.equal(422);
    expect((await post({ ...newOrder, items: [{ sku: "S", item_name: "x", quantity: 1001 }] })).statusCode).to.equal(422);
  });

  it("returns the same order for the same Idempotency-Key and body, without a second event", async () => {
    const { store, post } = setup();
    const first = await post(newOrder, { "idempotency-key": "abc-123" });
    const again = await post({ ...newOrder }, { "idempotency-key": "abc-123" });
    expect(first.statusCode).to.equal(201);
    expect(again.statusCode).to.equal(200);
    expect(again.json()).to.deep.equal(first.json());
    expect(again.headers.location).to.equal(first.headers.location);
    expect(store.published).to.have.length(1);
  });

  it("answers 409 for the same Idempotency-Key with another body", async () => {
    const { store, post } = setup();
    await post(newOrder, { "idempotency-key": "abc-123" });
    const res = await post({ ...newOrder, package_weight: 9 }, { "idempotency-key": "abc-123" });
    expect(res.statusCode).to.equal(409);
    expect(res.json().type).to.match(/idempotency-key-reused$/);
    expect(store.published).to.have.length(1);
  });

  it("creates the order of a claimed key whose first attempt failed to store it", async () => {
    const { store, post } = setup();
    // First attempt: the key is claimed, then the order transaction fails.
    const original = store.commit.bind(store);
    store.commit = async () => {
      throw new DaprError("state store down", { status: 500 });
    };
    expect((await post(newOrder, { "idempotency-key": "k-1" })).statusCode).to.equal(500);
    store.commit = original;
    const retry = await post(newOrder, { "idempotency-key": "k-1" });
    expect(retry.statusCode).to.equal(201);
    expect(store.published).to.have.length(1);
  });

  it("cancels an order after tracking called off its shipment, announcing order.cancelled; a repeat answers the same", async () => {
    const { app, store, post, shipments } = setup();
    const created = (await post(newOrder)).json();
    const first = await call(app, { method: "DELETE", url: `/api/v1/orders/${created.id}` });
    expect(first.statusCode).to.equal(200);
    expect(first.json()).to.include({ status: "cancelled" });
    expect(shipments.cancelled).to.deep.equal([created.id]);
    expect(store.eventsOf("order.cancelled")).to.deep.equal([{ order_id: created.id, previous_status: "pending" }]);
    const again = await call(app, { method: "DELETE", url: `/api/v1/orders/${created.id}` });
    expect(again.statusCode).to.equal(200);
    expect(again.json()).to.deep.equal(first.json());
    expect(store.eventsOf("order.cancelled")).to.have.length(1);
  });

  it("refuses to cancel (409) and changes nothing when the parcel was picked up", async () => {
    const { app, store, post, shipments } = setup();
    const created = (await post(newOrder)).json();
    shipments.answer = "too-late";
    const res = await call(app, { method: "DELETE", url: `/api/v1/orders/${created.id}` });
    expect(res.statusCode).to.equal(409);
    expect(res.json().type).to.match(/already-picked-up$/);
    expect((await call(app, { method: "GET", url: `/api/v1/orders/${created.id}` })).json().status).to.equal("pending");
    expect(store.eventsOf("order.status_changed")).to.deep.equal([]);
  });

  it("lets operators set only shipped, delivered and cancelled: 409 for the saga's own, 422 for an unknown status", async () => {
    const { app, post } = setup();
    const created = (await post(newOrder)).json();
    const put = (status: string) =>
      call(app, { method: "PUT", url: `/api/v1/orders/${created.id}/status`, headers: { "content-type": "application/json" }, payload: JSON.stringify({ status }) });
    expect((await put("confirmed")).statusCode).to.equal(409);
    expect((await put("shipped")).statusCode).to.equal(409);
    const unknown = await put("lost");
    expect(unknown.statusCode).to.equal(422);
    expect(unknown.json().errors[0].field).to.equal("status");
  });

  it("answers a bad listing query with 422 naming each parameter", async () => {
    const { app } = setup();
    const res = await call(app, { method: "GET", url: "/api/v1/orders?page=0&page_size=500&status=lost" });
    expect(res.statusCode).to.equal(422);
    expect(res.json().errors.map((e: { field: string }) => e.field)).to.have.members(["page", "page_size", "status"]);
  });
});
