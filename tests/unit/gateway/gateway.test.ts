import { expect } from "chai";
import { buildApp } from "../../../services/gateway/app.ts";
import { DaprUnavailableError } from "../../../services/kit/ports/errors.ts";
import type { InvokeResponse } from "../../../services/kit/ports/ports.ts";
import { appBasics, call as inject, FakeInvoker, FakeSidecar, jsonResponse } from "../../support/fakes.ts";
import { gatewayDeps, upstreams } from "../../support/gateway.ts";
import { operatorHeaders } from "../../support/credentials.ts";

/** These tests are about forwarding: every call is an operator's. */
const call: typeof inject = (app, options) => {
  const given = typeof options === "string" ? { url: options } : options;
  return inject(app, { ...given, headers: { ...operatorHeaders(), ...(given.headers as Record<string, string> | undefined) } });
};


function setup(answer: ConstructorParameters<typeof FakeInvoker>[0], timeoutMs = 1000) {
  const invoker = new FakeInvoker(answer);
  const sidecar = new FakeSidecar();
  const app = buildApp({ ...appBasics("gateway"), ...gatewayDeps(), invoker, sidecar, upstreamTimeoutMs: timeoutMs });
  return { app, invoker, sidecar };
}

describe("gateway", () => {
  it("forwards an order to the order service and passes its answer on (status, Location, body)", async () => {
    const { app, invoker } = setup(() => jsonResponse(201, { id: "o1" }, { location: "/api/v1/orders/o1" }));
    const res = await call(app, {
      method: "POST",
      url: "/api/v1/orders",
      headers: { "content-type": "application/json", "idempotency-key": "k1", "x-request-id": "r1" },
      payload: '{"a":1}',
    });
    expect(res.statusCode).to.equal(201);
    expect(res.headers.location).to.equal("/api/v1/orders/o1");
    expect(res.json()).to.deep.equal({ id: "o1" });
    expect(invoker.calls).to.have.length(1);
    expect(invoker.calls[0]).to.deep.include({ appId: "order", method: "POST", path: "api/v1/orders", body: '{"a":1}' });
    expect(invoker.calls[0]!.headers).to.include({ "idempotency-key": "k1", "x-request-id": "r1" });
  });

  it("routes every resource of the API to the service that owns it, query included", async () => {
    const { app, invoker } = setup(() => jsonResponse(200, []));
    for (const path of ["/api/v1/inventory/SKU-1", "/api/v1/payments?order_id=o1", "/api/v1/shipments/s1", "/api/v1/track/TRK1", "/api/v1/notifications?order_id=o1"]) {
      await call(app, { method: "GET", url: path });
    }
    expect(invoker.calls.map((c) => [c.appId, c.path])).to.deep.equal([
      ["inventory", "api/v1/inventory/SKU-1"],
      ["payment", "api/v1/payments?order_id=o1"],
      ["tracking", "api/v1/shipments/s1"],
      ["tracking", "api/v1/track/TRK1"],
      ["notification", "api/v1/notifications?order_id=o1"],
    ]);
  });

  it("passes a service's problem+json on unchanged", async () => {
    const problem = { type: "x/order-not-found", title: "Order not found", status: 404 };
    const { app } = setup(() => ({ ...jsonResponse(404, problem), headers: new Headers({ "content-type": "application/problem+json" }) }));
    const res = await call(app, { method: "GET", url: "/api/v1/orders/nope" });
    expect(res.statusCode).to.equal(404);
    expect(res.headers["content-type"]).to.equal("application/problem+json");
    expect(res.json()).to.deep.equal(problem);
  });

  it("answers 503 naming only the service when Dapr cannot reach it", async () => {
    const { app } = setup(() => jsonResponse(500, { errorCode: "ERR_DIRECT_INVOKE", message: "dial tcp 10.0.0.7:50002: connection refused" }));
    const res = await call(app, { method: "GET", url: "/api/v1/orders/o1" });
    expect(res.statusCode).to.equal(503);
    expect(res.json().detail).to.equal("The order service cannot be reached");
    expect(res.body).to.not.contain("10.0.0.7");
  });

  it("answers 504, not 503, when Dapr's own timeout cut the call short (the outcome is unknown)", async () => {
    const { app } = setup(() => jsonResponse(500, { errorCode: "ERR_DIRECT_INVOKE", message: "failed to invoke, id: order, err: rpc error: code = DeadlineExceeded desc = context deadline exceeded" }));
    const res = await call(app, { method: "POST", url: "/api/v1/orders", headers: { "content-type": "application/json" }, payload: "{}" });
    expect(res.statusCode).to.equal(504);
    expect(res.json().detail).to.equal("The order service did not answer in time");
  });

  it("answers 503 when its own sidecar is unreachable", async () => {
    const { app } = setup(() => {
      throw new DaprUnavailableError("connect ECONNREFUSED 127.0.0.1:3500");
    });
    expect((await call(app, { method: "GET", url: "/api/v1/orders/o1" })).statusCode).to.equal(503);
  });

  it("answers 504 when the service does not answer in time", async () => {
    const { app } = setup(() => new Promise<InvokeResponse>(() => {}), 50);
    const res = await call(app, { method: "GET", url: "/api/v1/orders/o1" });
    expect(res.statusCode).to.equal(504);
  });

  it("checks JSON at the edge: malformed bodies never reach a service", async () => {
    const { app, invoker } = setup(() => jsonResponse(201, {}));
    const res = await call(app, { method: "POST", url: "/api/v1/orders", headers: { "content-type": "application/json" }, payload: "{oops" });
    expect(res.statusCode).to.equal(400);
    expect(invoker.calls).to.have.length(0);
  });

  it("answers 422 naming the parameter, without calling a service, for a path parameter that breaks its schema", async () => {
    const { app, invoker } = setup(() => jsonResponse(200, {}));
    // Characters Dapr's invocation cannot carry in a path (it decodes it once), and others no id has.
    for (const [method, url, field] of [
      ["GET", "/api/v1/orders/a%23b", "id"],
      ["GET", "/api/v1/orders/a%3Fb/items", "id"],
      ["GET", "/api/v1/shipments/50%25", "id"],
      ["GET", "/api/v1/inventory/%C3%84", "sku"],
      ["GET", "/api/v1/track/%20TRK", "tracking_number"],
      ["DELETE", "/api/v1/dead-letters/order/orders%23/abc", "topic"],
    ] as const) {
      const res = await call(app, { method, url });
      expect(res.statusCode, url).to.equal(422);
      expect(res.json().errors.map((e: { field: string }) => e.field), url).to.deep.equal([field]);
    }
    expect(invoker.calls).to.deep.equal([]);
  });

  it("answers 404 for a resource no service owns", async () => {
    const { app, invoker } = setup(() => jsonResponse(200, {}));
    expect((await call(app, { method: "GET", url: "/api/v1/widgets" })).statusCode).to.equal(404);
    expect(invoker.calls).to.have.length(0);
  });

  it("takes an operator to each service's dead letters: list, re-drive and discard, at the service's own routes", async () => {
    const { app, invoker } = setup(() => jsonResponse(200, {}));
    await call(app, { method: "GET", url: "/api/v1/dead-letters/payment" });
    await call(app, { method: "POST", url: "/api/v1/dead-letters/inventory/redrive?topic=inventory-orders-dead-letter&id=e%201" });
    const discard = { method: "DELETE" as const, url: "/api/v1/dead-letters/order/order-orders-dead-letter/e1", headers: { "content-type": "application/json" }, payload: '{"reason":"test data"}' };
    await call(app, discard);
    expect(invoker.calls.map((c) => [c.appId, c.method, c.path, c.body])).to.deep.equal([
      ["payment", "GET", "dead-letters", undefined],
      ["inventory", "POST", "dead-letters/redrive?topic=inventory-orders-dead-letter&id=e%201", undefined],
      ["order", "DELETE", "dead-letters/order-orders-dead-letter/e1", '{"reason":"test data"}'],
    ]);
    expect((await call(app, { method: "GET", url: "/api/v1/dead-letters/gateway" })).statusCode).to.equal(404);
    expect((await call(app, { method: "GET", url: "/api/v1/dead-letters/constructor" })).statusCode).to.equal(404);
    expect(invoker.calls).to.have.length(3);
  });

  describe("GET /health", () => {
    it("is ok when its sidecar and every service answer", async () => {
      const { app } = setup(() => jsonResponse(200, { status: "ok" }));
      const res = await call(app, { method: "GET", url: "/health" });
      expect(res.statusCode).to.equal(200);
      expect(res.json().status).to.equal("ok");
      expect(Object.keys(res.json().services)).to.have.members(["gateway-sidecar", ...Object.values(upstreams)]);
    });

    it("is degraded (503) and names what is down", async () => {
      const { app, sidecar } = setup((appId) => (appId === "payment" ? jsonResponse(500, { errorCode: "ERR_DIRECT_INVOKE" }) : jsonResponse(200, {})));
      sidecar.healthy = false;
      const res = await call(app, { method: "GET", url: "/health" });
      expect(res.statusCode).to.equal(503);
      expect(res.json().status).to.equal("degraded");
      expect(res.json().services.payment.status).to.equal("down");
      expect(res.json().services["gateway-sidecar"].status).to.equal("down");
      expect(res.json().services.order.status).to.equal("ok");
    });
  });
});
