import { expect } from "chai";
import { EVENTS } from "../../../services/contracts/events.ts";
import { buildApp } from "../../../services/dashboard/app.ts";
import { PROJECTED_TOPICS, PROJECTED_TYPES } from "../../../services/dashboard/events.ts";
import { applyToOrder } from "../../../services/dashboard/projection.ts";
import { readSearch } from "../../../services/dashboard/routes.ts";
import { HttpProblem } from "../../../services/kit/http/problems.ts";
import { orderCreatedData, orderSnapshot } from "../../support/events.ts";
import { appBasics, call, FakeProjections, FakeStateStore } from "../../support/fakes.ts";

function setup() {
  const projections = new FakeProjections();
  const app = buildApp({ ...appBasics("dashboard"), pubsubName: "pubsub", store: new FakeStateStore(), projections, now: () => new Date("2026-03-01T10:00:00Z") });
  const deliver = async (topic: string, id: string, type: string, data: unknown, time?: string) => {
    const res = await call(app, {
      method: "POST",
      url: `/dapr/events/${topic}/${type}`,
      headers: { "content-type": "application/cloudevents+json" },
      payload: JSON.stringify({ specversion: "1.0", id, source: "test", type, data, ...(time ? { time } : {}) }),
    });
    return (res.json() as { status: string }).status;
  };
  return { app, projections, deliver };
}

describe("dashboard app", () => {
  it("subscribes to every event type that changes a view, on the topics they come on, and to no other", async () => {
    const { app } = setup();
    const subscriptions = (await call(app, { method: "GET", url: "/dapr/subscribe" })).json() as Array<{ topic: string; routes: { rules?: Array<{ match: string }> } }>;
    // Besides the dead-letter topics the kit subscribes to (a dead letter is kept, and can be applied again).
    expect(subscriptions.map((s) => s.topic).filter((t) => !t.endsWith("-dead-letter")).sort()).to.deep.equal(["inventory", "orders", "payments", "shipments"]);
    const routed = subscriptions.flatMap((s) => (s.routes.rules ?? []).map((r) => r.match)).join(" ");
    for (const type of Object.keys(EVENTS) as Array<keyof typeof EVENTS>) {
      const projected = (PROJECTED_TYPES as readonly string[]).includes(type);
      expect(routed.includes(`"${type}"`), type).to.equal(projected);
      // Every type the projection reads concerns an order or a SKU; each other one changes no view.
      if (!projected) expect(() => applyToOrder(undefined, { id: "x", type, time: "2026-03-01T10:00:00Z", data: {} } as never), type).to.throw(/does not concern an order/);
    }
    expect(PROJECTED_TOPICS.sort()).to.deep.equal(["inventory", "orders", "payments", "shipments"]);
  });

  it("projects delivered events, a repeated CloudEvent id changing nothing, and finds the order by status", async () => {
    const { app, projections, deliver } = setup();
    expect(await deliver("orders", "e1", "order.created", orderCreatedData("o1"))).to.equal("SUCCESS");
    expect(await deliver("orders", "e1", "order.created", orderCreatedData("o1"))).to.equal("SUCCESS");
    const snapshot = orderSnapshot("o1", "failed", { updated_at: "2026-03-01T09:00:01.000Z", status_reason: "out_of_stock" });
    expect(await deliver("orders", "e2", "order.status_changed", { order_id: "o1", status: "failed", previous_status: "pending", order: snapshot }, "2026-03-01T09:00:01Z")).to.equal("SUCCESS");
    // No claim markers: the view itself records the events applied to it.
    expect(projections.events.map((e) => e.id)).to.deep.equal(["e1", "e1", "e2"]);
    expect(projections.orders.get("o1")?.applied).to.deep.equal(["e1", "e2"]);
    expect(projections.orders.get("o1")?.history.map((h) => h.status)).to.deep.equal(["pending", "failed"]);
    const found = await call(app, { method: "GET", url: "/api/v1/search/orders?status=failed" });
    expect(found.statusCode).to.equal(200);
    expect(found.json()).to.deep.include({ page: 1, page_size: 10, total: 1 });
    expect((found.json() as { items: Array<{ id: string; status_reason: string }> }).items[0]).to.include({ id: "o1", status_reason: "out_of_stock" });
  });

  it("drops data that breaks its event's schema as poison", async () => {
    const { deliver, projections } = setup();
    expect(await deliver("orders", "bad", "order.created", { order_id: "o1" })).to.equal("DROP");
    expect(projections.events).to.deep.equal([]);
  });

  it("answers a search's bad parameters with one 422 naming each", async () => {
    const { app } = setup();
    const res = await call(app, { method: "GET", url: "/api/v1/search/orders?status=lost&page=0&created_from=yesterday&sku=%C3%84&sort=price" });
    expect(res.statusCode).to.equal(422);
    expect(res.headers["content-type"]).to.match(/application\/problem\+json/);
    const fields = (res.json() as { errors: Array<{ field: string }> }).errors.map((e) => e.field).sort();
    expect(fields).to.deep.equal(["created_from", "page", "sku", "sort", "status"]);
  });

  it("reads a search's filters, dates and paging", () => {
    expect(readSearch({ customer: " Ada ", sku: "SKU-1", status: "confirmed", created_from: "2026-03-01", created_to: "2026-03-02T00:00:00Z", q: "trk", sort: "created_at", page: "3", page_size: "20" })).to.deep.equal({
      customer: "Ada",
      sku: "SKU-1",
      status: "confirmed",
      created_from: "2026-03-01T00:00:00.000Z",
      created_to: "2026-03-02T00:00:00.000Z",
      text: "trk",
      sort: "created_at",
      offset: 40,
      limit: 20,
    });
    // A range that ends before it starts is no mistake: it finds nothing.
    expect(readSearch({ created_from: "2026-03-02", created_to: "2026-03-01t10:00:00z" })).to.include({ created_from: "2026-03-02T00:00:00.000Z", created_to: "2026-03-01T10:00:00.000Z" });
    expect(() => readSearch({ created_from: "0000000000" })).to.throw(HttpProblem);
    expect(() => readSearch({ customer: ["a", "b"] })).to.throw(HttpProblem);
  });

  it("says when its database is down: 503 on the API, not ready, and events delivered again later", async () => {
    const { app, projections, deliver } = setup();
    projections.unavailable = true;
    const summary = await call(app, { method: "GET", url: "/api/v1/dashboard/summary" });
    expect(summary.statusCode).to.equal(503);
    expect(summary.headers["content-type"]).to.match(/application\/problem\+json/);
    const ready = await call(app, { method: "GET", url: "/readyz" });
    expect(ready.statusCode).to.equal(503);
    expect(JSON.stringify(ready.json())).to.match(/mongodb/);
    expect(await deliver("orders", "e1", "order.created", orderCreatedData("o1"))).to.equal("RETRY");
    projections.unavailable = false;
    expect(await deliver("orders", "e1", "order.created", orderCreatedData("o1"))).to.equal("SUCCESS");
    expect((await call(app, { method: "GET", url: "/readyz" })).statusCode).to.equal(200);
  });
});
