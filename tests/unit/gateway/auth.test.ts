/**
 * Who may call what, through the gateway: every operation of the contract,
 * without credentials, with each role's development API key and with bearer
 * tokens from the development issuer; a customer's own orders, a courier's
 * own shipments; and the edge's answers to paths and methods the API does
 * not have.
 */
import { expect } from "chai";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { buildApp } from "../../../services/gateway/app.ts";
import { ApiKeys } from "../../../services/gateway/auth.ts";
import { sha256Hex } from "../../../services/kit/digest.ts";
import { GATEWAY_OPERATIONS, OPERATIONS } from "../../../services/contracts/api/operations.ts";
import type { Operation, Role } from "../../../services/contracts/api/operations.ts";
import type { InvokeRequest } from "../../../services/kit/ports/ports.ts";
import { appBasics, call, devSecrets, FakeInvoker, FakeSidecar, jsonResponse } from "../../support/fakes.ts";
import { gatewayDeps } from "../../support/gateway.ts";
import { devApiKey, devCredentials, devToken } from "../../support/credentials.ts";

const ADA = devApiKey("customer", "dev-customer-ada");
const GRACE = devApiKey("customer", "dev-customer-grace");

/** The services behind: ada's order o-ada, grace's o-grace; shipment s-linus is linus's. */
function services(appId: string, request: InvokeRequest) {
  if (request.method === "GET" && appId === "order" && /^api\/v1\/orders\/o-(\w+)/.test(request.path)) {
    const who = /^api\/v1\/orders\/o-(\w+)/.exec(request.path)![1];
    return jsonResponse(200, { id: `o-${who}`, customer_email: `${who}@example.com` });
  }
  if (request.method === "GET" && appId === "tracking" && request.path.startsWith("api/v1/shipments/s-linus")) {
    return jsonResponse(200, { id: "s-linus", courier: "linus" });
  }
  if (request.method === "GET" && /\/(o|s)-nobody/.test(request.path)) return jsonResponse(404, { title: "Not found" });
  return jsonResponse(200, { ok: true });
}

function setup() {
  const invoker = new FakeInvoker(services);
  const secrets = devSecrets();
  const app = buildApp({ ...appBasics("gateway"), ...gatewayDeps(), invoker, sidecar: new FakeSidecar(), secrets });
  return { app, invoker, secrets };
}

/** A concrete request for an operation: its path with ids filled in, and a body that passes the gateway. */
function requestFor(operation: Operation, ids: { order?: string; shipment?: string } = {}) {
  const url = operation.path
    .replace("{id}", operation.path.includes("/shipments/") ? (ids.shipment ?? "s-linus") : (ids.order ?? "o-ada"))
    .replace("{sku}", "SKU-1")
    .replace("{tracking_number}", "LGX1")
    .replace("{service}", "order")
    .replace("{topic}", "order-orders-dead-letter")
    .replace("{id}", "e1");
  const body = operation.example ? JSON.stringify(operation.example) : undefined;
  return { method: operation.method.toUpperCase() as "GET", url, ...(body ? { payload: body, headers: { "content-type": "application/json" } } : {}) };
}

const withKey = (request: ReturnType<typeof requestFor>, key: string) => ({ ...request, headers: { ...request.headers, "x-api-key": key } });

describe("gateway: who may call what", () => {
  describe("every operation, by role", () => {
    for (const operation of GATEWAY_OPERATIONS) {
      const name = `${operation.method.toUpperCase()} ${operation.path}`;
      if (operation.access === "public") {
        it(`${name}: public, without credentials`, async () => {
          const { app, invoker } = setup();
          expect((await call(app, requestFor(operation))).statusCode).to.equal(200);
          expect(invoker.calls).to.have.length(1);
        });
        continue;
      }
      const access = operation.access;
      it(`${name}: 401 without credentials, allowed for ${access.roles.join(" and ")}, 403 for the others`, async () => {
        const { app, invoker } = setup();
        const anonymous = await call(app, requestFor(operation));
        expect(anonymous.statusCode).to.equal(401);
        expect(anonymous.headers["www-authenticate"]).to.match(/^Bearer realm="logistics"/);
        expect(anonymous.headers["content-type"]).to.equal("application/problem+json");
        expect(invoker.calls).to.have.length(0);
        const keys: Record<Role, string> = { operator: devApiKey("operator").key, customer: ADA.key, courier: devApiKey("courier", "linus").key };
        for (const role of ["operator", "customer", "courier"] as const) {
          const body = operation.method === "post" && operation.path === "/api/v1/orders" ? { ...operation.example, customer_email: "ada@example.com" } : operation.example;
          const request = { ...requestFor(operation), ...(body ? { payload: JSON.stringify(body) } : {}) };
          const res = await call(app, withKey(request, keys[role]));
          const expected = access.roles.includes(role) ? 200 : 403;
          expect(res.statusCode, `${role}: ${res.body}`).to.equal(expected);
        }
      });
    }
  });

  it("answers a key it does not know with 401, and a role that may not with 403 naming both", async () => {
    const { app } = setup();
    const unknown = await call(app, { method: "GET", url: "/api/v1/orders", headers: { "x-api-key": "lgx_not_a_key" } });
    expect(unknown.statusCode).to.equal(401);
    expect(unknown.json().detail).to.equal("The API key is not known");
    const customer = await call(app, { method: "GET", url: "/api/v1/orders", headers: { "x-api-key": ADA.key } });
    expect(customer.statusCode).to.equal(403);
    expect(customer.json().detail).to.contain("dev-customer-ada has the role customer").and.contain("operator");
  });

  describe("a customer", () => {
    it("reads and cancels their own orders; another's answer 404, as if it did not exist", async () => {
      const { app, invoker } = setup();
      expect((await call(app, { method: "GET", url: "/api/v1/orders/o-ada", headers: { "x-api-key": ADA.key } })).statusCode).to.equal(200);
      expect((await call(app, { method: "DELETE", url: "/api/v1/orders/o-ada", headers: { "x-api-key": ADA.key } })).statusCode).to.equal(200);
      const before = invoker.calls.length;
      for (const method of ["GET", "DELETE"] as const) {
        const res = await call(app, { method, url: "/api/v1/orders/o-grace", headers: { "x-api-key": ADA.key } });
        expect(res.statusCode).to.equal(404);
        expect(res.json().detail).to.equal("No order o-grace");
      }
      // Only the reads that found whose it is reached the order service: nothing was cancelled.
      expect(invoker.calls.slice(before).map((c) => c.method)).to.deep.equal(["GET", "GET"]);
      expect((await call(app, { method: "GET", url: "/api/v1/orders/o-nobody", headers: { "x-api-key": GRACE.key } })).statusCode).to.equal(404);
    });

    it("places orders in their own name only", async () => {
      const { app, invoker } = setup();
      const order = (email: string) => ({ ...OPERATIONS.find((o) => o.method === "post" && o.path === "/api/v1/orders")!.example, customer_email: email });
      const post = (email: string) =>
        call(app, { method: "POST", url: "/api/v1/orders", headers: { "content-type": "application/json", "x-api-key": ADA.key }, payload: JSON.stringify(order(email)) });
      expect((await post("ADA@example.com")).statusCode).to.equal(200);
      const other = await post("grace@example.com");
      expect(other.statusCode).to.equal(403);
      expect(other.json().detail).to.contain("customer_email");
      expect(invoker.calls).to.have.length(1);
    });

    it("is known by a bearer token's email and roles; expired, foreign and forged tokens are refused with invalid_token", async () => {
      const { app } = setup();
      const read = (token: string) => call(app, { method: "GET", url: "/api/v1/orders/o-ada", headers: { authorization: `Bearer ${token}` } });
      expect((await read(await devToken({ sub: "u-1", roles: ["customer"], email: "ada@example.com" }))).statusCode).to.equal(200);
      expect((await read(await devToken({ sub: "u-2", roles: ["customer"], email: "grace@example.com" }))).statusCode).to.equal(404);
      expect((await read(await devToken({ sub: "u-3", roles: [], email: "ada@example.com" }))).statusCode).to.equal(403);

      const expired = await read(await devToken({ sub: "u-1", roles: ["customer"], email: "ada@example.com" }, { expired: true }));
      expect(expired.statusCode).to.equal(401);
      expect(expired.headers["www-authenticate"]).to.contain('error="invalid_token"');
      expect(expired.json().detail).to.contain("expired");
      const audience = await read(await devToken({ sub: "u-1", roles: ["customer"], email: "ada@example.com" }, { audience: "someone-else" }));
      expect(audience.statusCode).to.equal(401);
      expect(audience.json().detail).to.contain("aud");
      const issuer = await read(await devToken({ sub: "u-1", roles: ["customer"], email: "ada@example.com" }, { issuer: "https://issuer.invalid" }));
      expect(issuer.statusCode).to.equal(401);
      // Signed with a key the issuer never had, under the issuer's key id.
      const { privateKey } = await generateKeyPair("ES256", { extractable: true });
      const forged = await new SignJWT({ roles: ["operator"] })
        .setProtectedHeader({ alg: "ES256", kid: devCredentials.issuer_private_jwk.kid })
        .setSubject("mallory")
        .setIssuer(devCredentials.issuer)
        .setAudience(devCredentials.audience)
        .setExpirationTime("1h")
        .sign(privateKey);
      expect((await read(forged)).statusCode).to.equal(401);
      expect(await exportJWK(privateKey)).to.have.property("d");
      expect((await call(app, { method: "GET", url: "/api/v1/orders/o-ada", headers: { authorization: "Basic YWRhOnB3" } })).statusCode).to.equal(401);
    });
  });

  it("a courier scans and moves only the shipments assigned to them", async () => {
    const { app } = setup();
    const scan = (key: string, shipment: string) =>
      call(app, { method: "POST", url: `/api/v1/shipments/${shipment}/events`, headers: { "content-type": "application/json", "x-api-key": key }, payload: '{"status":"picked_up"}' });
    expect((await scan(devApiKey("courier", "linus").key, "s-linus")).statusCode).to.equal(200);
    expect((await scan(devApiKey("courier", "ada").key, "s-linus")).statusCode).to.equal(404);
    const token = await devToken({ sub: "linus", roles: ["courier"] });
    const moved = await call(app, { method: "POST", url: "/api/v1/shipments/s-linus/locations", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, payload: '{"lat":1,"lon":2}' });
    expect(moved.statusCode).to.equal(200);
  });

  it("keeps the last API keys read while the secret store is away, and answers 503 when it never read any", async () => {
    const { app, secrets } = setup();
    const list = (target = app) => call(target, { method: "GET", url: "/api/v1/orders", headers: { "x-api-key": devApiKey("operator").key } });
    expect((await list()).statusCode).to.equal(200);
    secrets.failing = true;
    expect((await list()).statusCode).to.equal(200);
    const fresh = setup();
    fresh.secrets.failing = true;
    expect((await list(fresh.app)).statusCode).to.equal(503);
  });

  it("reads the API keys again once they are older than their age limit: a key added or revoked takes effect", async () => {
    const secrets = devSecrets();
    const keys = new ApiKeys(secrets, "secretstore", "GATEWAY_API_KEYS", 0);
    expect(await keys.find("lgx_new_key")).to.equal(undefined);
    const stored = JSON.parse(secrets.values.GATEWAY_API_KEYS!) as Record<string, unknown>;
    secrets.values.GATEWAY_API_KEYS = JSON.stringify({ [await sha256Hex("lgx_new_key")]: { subject: "ci-bot", role: "operator" } });
    expect(await keys.find("lgx_new_key")).to.deep.equal({ subject: "ci-bot", role: "operator" });
    expect(await keys.find(devApiKey("operator").key), "the old keys are gone").to.equal(undefined);
    expect(Object.keys(stored)).to.have.length(devCredentials.api_keys.length);
  });

  describe("the edge", () => {
    it("answers a method a path does not take with 405 and Allow, and never forwards it", async () => {
      const { app, invoker } = setup();
      for (const method of ["TRACE", "PATCH", "PUT"]) {
        const res = await call(app, { method: method as "PUT", url: "/api/v1/orders/o-ada", headers: { "x-api-key": devApiKey("operator").key } });
        expect(res.statusCode, method).to.equal(405);
        expect(res.headers.allow).to.equal("GET, DELETE, HEAD");
        expect(res.json().type).to.match(/method-not-allowed$/);
      }
      expect(invoker.calls).to.have.length(0);
    });

    it("answers paths the API does not have with 404, and ids with control characters or broken escapes with 422", async () => {
      const { app, invoker } = setup();
      for (const url of ["/api/v1/widgets", "/api/v1/orders/a/b/c", "/api/v1/orders/", "/api/v1"]) {
        const res = await call(app, { method: "GET", url, headers: { "x-api-key": devApiKey("operator").key } });
        expect(res.statusCode, url).to.equal(404);
      }
      for (const url of ["/api/v1/orders/%1C%1B", "/api/v1/orders/%E0%A4%A", "/api/v1/shipments/a%00b"]) {
        const res = await call(app, { method: "GET", url, headers: { "x-api-key": devApiKey("operator").key } });
        expect(res.statusCode, url).to.equal(422);
        expect(res.json().errors[0].field, url).to.equal("id");
      }
      // Also before the ownership check, which would ask the order service about that id.
      expect((await call(app, { method: "GET", url: "/api/v1/orders/a%23b", headers: { "x-api-key": ADA.key } })).statusCode).to.equal(422);
      expect(invoker.calls).to.have.length(0);
    });

    it("forwards HEAD as GET, and decodes ids for the ownership check", async () => {
      const { app, invoker } = setup();
      const res = await call(app, { method: "HEAD", url: "/api/v1/track/LGX1" });
      expect(res.statusCode).to.equal(200);
      expect(invoker.calls[0]).to.include({ method: "GET", path: "api/v1/track/LGX1" });
      const escaped = await call(app, { method: "GET", url: "/api/v1/orders/o%2Dada", headers: { "x-api-key": ADA.key } });
      expect(escaped.statusCode).to.equal(200);
      expect(invoker.calls[1]).to.include({ method: "GET", path: "api/v1/orders/o-ada" });
    });
  });
});
