/**
 * The vertical slice against real sidecars and a real Redis: an order posted
 * to the gateway is stored by order through its outbox, reads back, and its
 * order.created event reaches notification once, even when the broker
 * delivers the same CloudEvent twice.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { expect } from "chai";
import request from "supertest";
import { eventDeliveries, eventually } from "../support/system.ts";
import type { RunningSystem } from "../support/system.ts";
import { system as runningSystem } from "../support/system-hooks.ts";
import { orderCreatedData } from "../support/events.ts";
import { operatorHeaders } from "../support/credentials.ts";

const order = {
  customer_name: "Ada Lovelace",
  customer_email: "ada@example.com",
  origin_address: "1 Analytical Way, London",
  destination_address: "12 Engine Street, Manchester",
  package_weight: 2.5,
  package_dimensions: "30x20x10",
  items: [{ sku: "SKU-BOLT", item_name: "Brass bolt", quantity: 3 }],
};

describe("order slice through the gateway (real daprd, real Redis)", function () {
  this.timeout(180_000);
  let system: RunningSystem;
  /** The public API as the development operator. */
  const gateway = () => request.agent(system.gatewayUrl).set(operatorHeaders());

  before(function () {
    system = runningSystem();
  });

  async function notificationsOf(orderId: string): Promise<Array<{ template: string; order_id: string }>> {
    const response = await gateway().get(`/api/v1/notifications?order_id=${orderId}`).expect(200);
    return response.body as Array<{ template: string; order_id: string }>;
  }

  /** The JSON log lines an app wrote, as `dapr run` collected them. */
  function appLogLines(appId: string): Array<Record<string, unknown>> {
    const prefix = `== APP - ${appId} == `;
    return readFileSync(join(system.logDir, "dapr-run.log"), "utf8")
      .split("\n")
      .filter((line) => line.startsWith(prefix) && line.includes("{"))
      .flatMap((line) => {
        try {
          return [JSON.parse(line.slice(prefix.length)) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }

  const deliveries = (outcome: string) => eventDeliveries(system, "notification", "order.created", outcome);

  it("reports every service and sidecar healthy on /health", async function () {
    const response = await gateway().get("/health").expect(200);
    expect(response.body.status).to.equal("ok");
    expect(Object.keys(response.body.services)).to.have.members(["gateway-sidecar", "order", "inventory", "payment", "tracking", "notification", "dashboard"]);
  });

  it("runs every service on the runtime RUNTIME names", async function () {
    const expected = process.env.RUNTIME ?? "node";
    for (const appId of ["gateway", "order", "inventory", "payment", "tracking", "notification"]) {
      const response = await fetch(`http://127.0.0.1:${system.appPort(appId)}/healthz`);
      expect(((await response.json()) as { runtime: string }).runtime, appId).to.equal(expected);
    }
  });

  it("lets only its sidecar call a service (APP_API_TOKEN), and only token holders call a sidecar (DAPR_API_TOKEN)", async function () {
    const orderUrl = `http://127.0.0.1:${system.appPort("order")}/api/v1/orders/${crypto.randomUUID()}`;
    expect((await fetch(orderUrl)).status).to.equal(401);
    expect((await fetch(orderUrl, { headers: { "dapr-api-token": system.appApiToken } })).status).to.equal(404);
    const sidecar = `http://127.0.0.1:${system.daprPort("order")}/v1.0/state/orderstore/some-key`;
    expect((await fetch(sidecar)).status).to.equal(401);
    expect((await fetch(sidecar, { headers: { "dapr-api-token": system.daprApiToken } })).status).to.be.oneOf([200, 204]);
  });

  it("creates an order (201, Location) that reads back unchanged", async function () {
    const created = await gateway().post("/api/v1/orders").send(order).expect(201);
    expect(created.headers.location).to.equal(`/api/v1/orders/${created.body.id}`);
    expect(created.body).to.include({ status: "pending", customer_email: order.customer_email, package_weight: 2.5 });
    expect(created.body.history).to.have.length(1);

    // Read back as stored; the saga may already have moved it on (this SKU is
    // unknown, so within some tens of ms it fails), which changes only its
    // status and adds to its history.
    const read = await gateway().get(created.headers.location!).expect(200);
    const stable = ({ status: _s, status_reason: _r, history, updated_at: _u, ...rest }: Record<string, unknown>) => ({ ...rest, first: (history as unknown[])[0] });
    expect(stable(read.body)).to.deep.equal(stable(created.body));
  });

  it("delivers order.created to notification, which records it once", async function () {
    const created = await gateway().post("/api/v1/orders").send(order).expect(201);
    // The saga fails this order (its SKU is unknown) within tens of ms, which
    // is mailed too: wait for both, then count the order_received ones.
    const log = await eventually(
      () => notificationsOf(created.body.id),
      (entries) => ["order_received", "order_failed"].every((t) => entries.some((e) => e.template === t)),
    );
    const received = log.filter((e) => e.template === "order_received");
    expect(received).to.have.length(1);
    expect(received[0]).to.include({ order_id: created.body.id, recipient: order.customer_email });
    expect(log).to.have.length(2);
  });

  it("carries the caller's W3C trace from the gateway through the outbox to notification", async function () {
    const traceId = crypto.randomUUID().replaceAll("-", "");
    const created = await gateway()
      .post("/api/v1/orders")
      .set("traceparent", `00-${traceId}-00f067aa0ba902b7-01`)
      .send(order)
      .expect(201);
    expect(created.headers.traceparent).to.match(new RegExp(`^00-${traceId}-`));
    const applied = await eventually(
      async () => appLogLines("notification").filter((line) => line.msg === "event applied" && line.trace_id === traceId),
      (lines) => lines.length > 0,
    );
    expect(applied[0]).to.include({ event_type: "order.created", topic: "orders" });
    expect(appLogLines("order").some((line) => line.msg === "order created" && line.order_id === created.body.id && line.trace_id === traceId)).to.equal(true);
  });

  it("applies a CloudEvent delivered twice only once", async function () {
    const orderId = crypto.randomUUID();
    const cloudEvent = {
      specversion: "1.0",
      id: `duplicate-${orderId}`,
      source: "order",
      type: "order.created",
      datacontenttype: "application/json",
      topic: "orders",
      pubsubname: "pubsub",
      data: orderCreatedData(orderId, {
        customer_name: "Grace Hopper",
        customer_email: "grace@example.com",
        items: [{ sku: "SKU-NEVER-STOCKED", item_name: "Nothing", quantity: 1 }],
      }),
    };
    const applied = await deliveries("applied");
    const duplicates = await deliveries("duplicate");
    // Delivered twice to notification's subscription route, as a sidecar
    // redelivers an event whose acknowledgement got lost (some brokers would
    // drop a second publish of the same id themselves: JetStream does).
    for (let i = 0; i < 2; i++) {
      const delivered = await fetch(`http://127.0.0.1:${system.appPort("notification")}/dapr/events/orders/order.created`, {
        method: "POST",
        headers: { "content-type": "application/cloudevents+json", "dapr-api-token": system.appApiToken },
        body: JSON.stringify(cloudEvent),
      });
      expect(await delivered.json()).to.deep.equal({ status: "SUCCESS" });
    }
    expect(await deliveries("applied")).to.equal(applied + 1);
    expect(await deliveries("duplicate")).to.equal(duplicates + 1);
    const log = await notificationsOf(orderId);
    expect(log).to.have.length(1);
    expect(log[0]).to.include({ order_id: orderId, recipient: "grace@example.com" });
  });

  it("answers bad input with a problem naming the field, through the gateway", async function () {
    const response = await gateway()
      .post("/api/v1/orders")
      .send({ ...order, customer_email: "not-an-email", package_weight: 0 })
      .expect(422)
      .expect("content-type", /application\/problem\+json/);
    expect(response.body.errors.map((e: { field: string }) => e.field)).to.have.members(["customer_email", "package_weight"]);
  });

  it("answers malformed JSON with 400 at the gateway", async function () {
    const response = await gateway().post("/api/v1/orders").set("content-type", "application/json").send("{nope").expect(400);
    expect(response.body.type).to.match(/malformed-json$/);
  });

  it("answers an unknown order with 404 problem+json from the order service", async function () {
    const response = await gateway().get(`/api/v1/orders/${crypto.randomUUID()}`).expect(404);
    expect(response.body.type).to.match(/order-not-found$/);
  });
});
