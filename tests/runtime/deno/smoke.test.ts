/**
 * Runtime smoke tests for Deno: the services' apps, built from the .ts sources
 * with the unit tests' fake ports, served for real by the kit's server on a
 * loopback socket and called with fetch. They catch what breaks on Deno only
 * (node: builtins, npm packages, the HTTP server) in seconds, well before the
 * end-to-end run on real sidecars.
 *
 *   deno test --allow-net=127.0.0.1 --allow-env --allow-read tests/runtime/deno/
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import type Koa from "koa";
import { buildApp as buildGateway } from "../../../services/gateway/app.ts";
import { loadConfig as loadGatewayConfig } from "../../../services/gateway/config.ts";
import { buildApp as buildInventory } from "../../../services/inventory/app.ts";
import { buildApp as buildNotification } from "../../../services/notification/app.ts";
import { buildApp as buildOrder } from "../../../services/order/app.ts";
import { buildApp as buildPayment } from "../../../services/payment/app.ts";
import { buildApp as buildTracking } from "../../../services/tracking/app.ts";
import type { OutputBinding } from "../../../services/kit/ports/ports.ts";
import { serve } from "../../../services/kit/server.ts";
import { orderSnapshot } from "../../support/events.ts";
import { gatewayDeps } from "../../support/gateway.ts";
import { appBasics, FakeInvoker, FakePublisher, FakeSidecar, FakeStateStore, jsonResponse } from "../../support/fakes.ts";
import { newOrder } from "../../support/fixtures.ts";

const NOW = () => new Date("2026-03-01T10:00:00Z");

/** An output binding that keeps what it was asked to send. */
class FakeBinding implements OutputBinding {
  readonly sent: unknown[] = [];
  async send(_binding: string, _operation: string, data: unknown): Promise<undefined> {
    this.sent.push(data);
    return undefined;
  }
}

/** Every service's app, built from fake ports as the unit tests build them. */
function allApps(): Record<string, Koa> {
  return {
    gateway: buildGateway({
      ...appBasics("gateway"),
      ...gatewayDeps(),
      invoker: new FakeInvoker(() => jsonResponse(200, [])),
      sidecar: new FakeSidecar(),
      rateLimit: loadGatewayConfig({}).rateLimit,
    }),
    order: buildOrder({ ...appBasics("order"), pubsubName: "pubsub", store: new FakeStateStore(), publisher: new FakePublisher(), shipments: { cancel: async () => "cancelled" as const }, stuckAfterSeconds: 60, now: NOW }),
    inventory: buildInventory({ ...appBasics("inventory"), pubsubName: "pubsub", store: new FakeStateStore(), publisher: new FakePublisher(), reservationTtlSeconds: 900, currency: "EUR", now: NOW }),
    payment: buildPayment({ ...appBasics("payment"), pubsubName: "pubsub", store: new FakeStateStore(), publisher: new FakePublisher(), currency: "EUR", provider: { ready: async () => {} }, now: NOW }),
    tracking: buildTracking({ ...appBasics("tracking"), pubsubName: "pubsub", store: new FakeStateStore(), couriers: ["ada", "grace"], now: NOW }),
    notification: buildNotification({
      ...appBasics("notification"),
      pubsubName: "pubsub",
      store: new FakeStateStore(),
      bindings: new FakeBinding(),
      emailBinding: "email",
      operationsEmail: "ops@example.com",
      now: NOW,
    }),
  };
}

/**
 * Serves `app` with the kit's server on 127.0.0.1 (a free port), runs `use`
 * with its base URL, then closes it and checks that it really stopped: Deno's
 * sanitizers do not see node:http servers, so the test checks it itself.
 */
async function withServer<T>(app: Koa, use: (base: string) => Promise<T>): Promise<T> {
  const { logger, lines } = appBasics("smoke");
  const running = await serve(app, { host: "127.0.0.1", port: 0, logger, shutdownTimeoutMs: 2000 });
  const { port } = running.server.address() as AddressInfo;
  assert.ok(port > 0, "the server listens on a port of its own");
  const base = `http://127.0.0.1:${port}`;
  let result: T;
  try {
    result = await use(base);
  } finally {
    await running.close();
  }
  assert.equal(running.server.listening, false, "close() stops the server");
  assert.deepEqual(lines.filter((l) => l.level === "warn").map((l) => l.msg), [], "close() ends without hitting the shutdown timeout");
  await assert.rejects(fetch(`${base}/healthz`), TypeError, "nothing answers on the port once closed");
  return result;
}

Deno.test("every service's app, served by the kit's server on Deno, answers /healthz naming the deno runtime", async () => {
  assert.equal("Deno" in globalThis, true, "these tests run on Deno only");
  for (const [appId, app] of Object.entries(allApps())) {
    await withServer(app, async (base) => {
      const res = await fetch(`${base}/healthz`);
      assert.equal(res.status, 200, `${appId} /healthz`);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      const body = await res.json();
      assert.equal(body.status, "ok");
      assert.equal(body.app_id, appId);
      assert.equal(body.runtime, "deno", `${appId} should report the deno runtime`);
      assert.equal(body.runtime_version, Deno.version.deno);
    });
  }
});

Deno.test("the order API validates JSON sent over a real socket and answers problem+json", async () => {
  const store = new FakeStateStore();
  const app = buildOrder({ ...appBasics("order"), pubsubName: "pubsub", store, publisher: new FakePublisher(), shipments: { cancel: async () => "cancelled" as const }, stuckAfterSeconds: 60, now: NOW });
  await withServer(app, async (base) => {
    const post = (payload: string) =>
      fetch(`${base}/api/v1/orders`, { method: "POST", headers: { "content-type": "application/json" }, body: payload });

    const malformed = await post("{not json");
    assert.equal(malformed.status, 400);
    assert.match(malformed.headers.get("content-type") ?? "", /^application\/problem\+json/);
    const malformedBody = await malformed.json();
    assert.equal(malformedBody.status, 400);
    assert.equal(malformedBody.title, "Malformed JSON");
    assert.equal(malformedBody.instance, "/api/v1/orders");

    const invalid = await post(JSON.stringify({ ...newOrder, customer_email: "nope" }));
    assert.equal(invalid.status, 422);
    assert.match(invalid.headers.get("content-type") ?? "", /^application\/problem\+json/);
    const invalidBody = await invalid.json();
    assert.deepEqual(
      invalidBody.errors.map((e: { field: string }) => e.field),
      ["customer_email"],
    );
    assert.equal(store.data.size, 0, "an invalid order stores nothing");

    const created = await post(JSON.stringify(newOrder));
    assert.equal(created.status, 201);
    const order = await created.json();
    assert.equal(created.headers.get("location"), `/api/v1/orders/${order.id}`);
    assert.equal(order.status, "pending");
    assert.deepEqual(store.eventsOf("order.created").map((d) => (d as { order_id: string }).order_id), [order.id]);
  });
});

Deno.test("a CloudEvent delivered to tracking's subscription route is answered SUCCESS and creates the shipment", async () => {
  const store = new FakeStateStore();
  const app = buildTracking({ ...appBasics("tracking"), pubsubName: "pubsub", store, couriers: ["ada", "grace"], now: NOW });
  const event = {
    specversion: "1.0",
    id: "e-o1",
    source: "order",
    type: "order.status_changed",
    datacontenttype: "application/json",
    data: { order_id: "o1", status: "confirmed", previous_status: "processing", order: orderSnapshot("o1", "confirmed") },
  };
  await withServer(app, async (base) => {
    const delivered = await fetch(`${base}/dapr/events/orders/order.status_changed`, {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json" },
      body: JSON.stringify(event),
    });
    assert.equal(delivered.status, 200);
    assert.deepEqual(await delivered.json(), { status: "SUCCESS" });

    const created = store.eventsOf("shipment.created") as Array<{ order_id: string }>;
    assert.equal(created.length, 1, "one shipment.created in the outbox");
    assert.equal(created[0]!.order_id, "o1");

    const listed = await fetch(`${base}/api/v1/shipments?order_id=o1`);
    assert.equal(listed.status, 200);
    const shipments = await listed.json();
    assert.equal(shipments.length, 1);
    assert.equal(shipments[0].order_id, "o1");
  });
});

Deno.test("/metrics answers Prometheus text that counts the requests served", async () => {
  const app = buildInventory({ ...appBasics("inventory"), pubsubName: "pubsub", store: new FakeStateStore(), publisher: new FakePublisher(), reservationTtlSeconds: 900, currency: "EUR", now: NOW });
  await withServer(app, async (base) => {
    await (await fetch(`${base}/healthz`)).body?.cancel();
    const res = await fetch(`${base}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    assert.match(text, /^# HELP http_server_requests_total /m);
    assert.match(text, /^# TYPE http_server_request_duration_seconds histogram$/m);
    assert.match(text, /^http_server_requests_total\{[^}]*route="\/healthz"[^}]*status="200"[^}]*app_id="inventory"[^}]*\} 1$/m);
  });
});
