/**
 * The contract's operations (services/contracts/api/operations.ts, which the
 * gateway's /openapi.json is built from) against what each service's router
 * really serves and answers.
 */
import type Router from "@koa/router";
import { expect } from "chai";
import type Koa from "koa";
import { answersOf, OPERATIONS, PATH_PARAMETER_ANSWER, SCHEMAS } from "../../../services/contracts/api/operations.ts";
import type { Operation, ServiceId } from "../../../services/contracts/api/operations.ts";
import { buildApp as dashboardApp } from "../../../services/dashboard/app.ts";
import { buildApp as inventoryApp } from "../../../services/inventory/app.ts";
import { buildApp as notificationApp } from "../../../services/notification/app.ts";
import { buildApp as orderApp } from "../../../services/order/app.ts";
import { buildApp as paymentApp } from "../../../services/payment/app.ts";
import { buildApp as trackingApp } from "../../../services/tracking/app.ts";
import { schemaCheck } from "../../../services/kit/validation.ts";
import { appBasics, call, FakeProjections, FakePublisher, FakeStateStore } from "../../support/fakes.ts";

function apps(): Record<ServiceId, Koa> {
  const base = (id: string) => ({ ...appBasics(id), pubsubName: "pubsub", store: new FakeStateStore(), publisher: new FakePublisher() });
  return {
    order: orderApp({ ...base("order"), shipments: { cancel: async () => "cancelled" as const }, stuckAfterSeconds: 60 }),
    inventory: inventoryApp({ ...base("inventory"), reservationTtlSeconds: 900, currency: "EUR" }),
    payment: paymentApp({ ...base("payment"), currency: "EUR", provider: { ready: async () => {} } }),
    tracking: trackingApp({ ...base("tracking"), couriers: ["ada"] }),
    notification: notificationApp({ ...base("notification"), bindings: { send: async () => undefined }, emailBinding: "email", operationsEmail: "ops@example.com" }),
    dashboard: dashboardApp({ ...base("dashboard"), projections: new FakeProjections() }),
  };
}

/** `METHOD /path` of every public route a Koa app's routers serve (HEAD is Koa's echo of GET). */
function servedRoutes(app: Koa): string[] {
  const routers = app.middleware.map((m) => (m as { router?: Router }).router).filter((r): r is Router => r !== undefined);
  return routers.flatMap((router) =>
    router.stack.flatMap((layer) =>
      layer.methods.filter((m) => m !== "HEAD" && String(layer.path).startsWith("/api/v1")).map((m) => `${m} ${String(layer.path).replace(/:(\w+)/g, "{$1}")}`),
    ),
  );
}

/** The documented operations of `service`, as `METHOD /path`. */
function documented(service: ServiceId): string[] {
  return OPERATIONS.filter((op) => op.service === service).map((op) => `${op.method.toUpperCase()} ${op.path}`);
}

/** The path with every parameter set to a value no resource has (nor gets from another probe). */
function unknownPath(operation: Operation): string {
  return operation.path.replace(/\{\w+\}/g, `NOPE-${OPERATIONS.indexOf(operation)}`);
}

/** Requests every operation can be sent without knowing its data: unknown ids, broken bodies, broken queries. */
function probes(operation: Operation): Array<{ name: string; method: string; url: string; headers?: Record<string, string>; payload?: string }> {
  const method = operation.method.toUpperCase();
  const url = unknownPath(operation);
  const list: Array<{ name: string; method: string; url: string; headers?: Record<string, string>; payload?: string }> = [];
  if (operation.body) {
    const json = { "content-type": "application/json" };
    list.push({ name: "malformed JSON", method, url, headers: json, payload: "{nope" });
    list.push({ name: "not JSON", method, url, headers: { "content-type": "text/plain" }, payload: "hello" });
    list.push({ name: "an empty object", method, url, headers: json, payload: "{}" });
    list.push({ name: "a field of the wrong type", method, url, headers: json, payload: JSON.stringify({ quantity: "many", status: 7, items: "x" }) });
    list.push({ name: "its example body", method, url, headers: json, payload: JSON.stringify(operation.example) });
  } else {
    list.push({ name: "unknown ids", method, url });
  }
  if (operation.parameters?.some((p) => p.in === "query")) {
    list.push({ name: "a bad query", method, url: `${url}?page=0&page_size=1000&status=lost` });
  }
  if (operation.parameters?.some((p) => p.in === "path" && p.schema.pattern !== undefined)) {
    list.push({ name: "a path parameter that breaks its pattern", method, url: operation.path.replace(/\{\w+\}/g, "%C3%84%20%7B"), ...(operation.body ? { headers: { "content-type": "application/json" }, payload: JSON.stringify(operation.example) } : {}) });
  }
  return list;
}

describe("the API contract against the services' routers", () => {
  const built = apps();

  for (const service of Object.keys(built) as ServiceId[]) {
    it(`${service} serves exactly the public paths and methods the contract documents for it`, () => {
      expect(servedRoutes(built[service]).sort()).to.deep.equal(documented(service).sort());
    });
  }

  it("has a valid example body for every operation that takes one", () => {
    for (const operation of OPERATIONS.filter((op) => op.body)) {
      expect(schemaCheck(SCHEMAS[operation.body!]!)(operation.example), `${operation.method} ${operation.path}`).to.deep.equal([]);
    }
  });

  it("answers only documented statuses, and answers every documented 400, 404, 415 and 422 to some probe", async () => {
    const undocumented: string[] = [];
    const seen = new Map<Operation, Set<string>>();
    for (const operation of OPERATIONS) {
      const answered = new Set<string>();
      if (operation.service === "each") continue;
      // A stream stays open until its client leaves, which an injected request
      // cannot do: tests/unit/dashboard/live.test.ts reads it over a socket.
      if (operation.streams) continue;
      for (const probe of probes(operation)) {
        const res = await call(built[operation.service as ServiceId], { method: probe.method as "GET", url: probe.url, ...(probe.headers ? { headers: probe.headers } : {}), ...(probe.payload !== undefined ? { payload: probe.payload } : {}) });
        const status = String(res.statusCode);
        answered.add(status);
        if (!(status in answersOf(operation))) undocumented.push(`${probe.method} ${operation.path} with ${probe.name}: ${status}`);
        if (res.statusCode >= 400) expect(res.headers["content-type"], `${probe.method} ${operation.path} ${probe.name}`).to.match(/^application\/problem\+json/);
      }
      seen.set(operation, answered);
    }
    expect(undocumented).to.deep.equal([]);
    const neverAnswered = OPERATIONS.filter((operation) => seen.has(operation)).flatMap((operation) =>
      ["400", "404", "415", "422"]
        .filter((status) => status in answersOf(operation) && !seen.get(operation)!.has(status))
        // 404 needs an id in the path; operations on a collection have none.
        .filter((status) => status !== "404" || operation.path.includes("{"))
        // A path parameter that breaks its schema is the gateway's 422 (tests/unit/gateway/gateway.test.ts).
        .filter((status) => status !== "422" || answersOf(operation)["422"] !== PATH_PARAMETER_ANSWER)
        .map((status) => `${operation.method.toUpperCase()} ${operation.path} ${status}`),
    );
    expect(neverAnswered).to.deep.equal([]);
  });
});
