import { expect } from "chai";
import { Duplex } from "node:stream";
import { buildApp } from "../../../services/gateway/app.ts";
import { loadConfig } from "../../../services/gateway/config.ts";
import { ConfigError } from "../../../services/kit/config.ts";
import { answerClientError } from "../../../services/kit/server.ts";
import { appBasics, call, FakeInvoker, FakeSidecar, jsonResponse } from "../../support/fakes.ts";
import { gatewayDeps } from "../../support/gateway.ts";
import { operatorHeaders } from "../../support/credentials.ts";

function setup(env: Record<string, string> = {}) {
  const invoker = new FakeInvoker(() => jsonResponse(200, []));
  const app = buildApp({ ...appBasics("gateway"), ...gatewayDeps(), edge: loadConfig(env).edge, invoker, sidecar: new FakeSidecar() });
  return { app, invoker };
}

describe("gateway edge: security headers", () => {
  it("on forwarded answers, problems and the gateway's own routes alike", async () => {
    const { app } = setup();
    const answers = [
      await call(app, { method: "GET", url: "/api/v1/orders", headers: operatorHeaders() }),
      await call(app, { method: "GET", url: "/api/v1/orders" }), // 401
      await call(app, { method: "GET", url: "/api/v1/nothing-here" }), // 404
      await call(app, { method: "TRACE" as "GET", url: "/api/v1/orders" }), // 405 (light-my-request types list fewer methods than it sends)
      await call(app, { method: "GET", url: "/openapi.json" }),
    ];
    expect(answers.map((a) => a.statusCode)).to.deep.equal([200, 401, 404, 405, 200]);
    for (const res of answers) {
      expect(res.headers).to.include({
        "cache-control": "no-store",
        "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
      });
      expect(res.headers["strict-transport-security"]).to.equal(undefined);
    }
  });

  it("Strict-Transport-Security when HSTS_MAX_AGE_SECONDS is set", async () => {
    const res = await call(setup({ HSTS_MAX_AGE_SECONDS: "31536000" }).app, { method: "GET", url: "/openapi.json" });
    expect(res.headers["strict-transport-security"]).to.equal("max-age=31536000; includeSubDomains");
  });
});

describe("gateway edge: CORS", () => {
  const preflight = (origin: string, url = "/api/v1/orders", method = "POST") => ({
    method: "OPTIONS" as const,
    url,
    headers: { origin, "access-control-request-method": method, "access-control-request-headers": "authorization, content-type" },
  });

  it("is off by default: no CORS header for any origin, and a preflight is just an OPTIONS the path does not take", async () => {
    const { app, invoker } = setup();
    const simple = await call(app, { method: "GET", url: "/api/v1/orders", headers: { ...operatorHeaders(), origin: "https://shop.example.com" } });
    expect(simple.statusCode).to.equal(200);
    expect(simple.headers["access-control-allow-origin"]).to.equal(undefined);
    const res = await call(app, preflight("https://shop.example.com"));
    expect(res.statusCode).to.equal(405);
    expect(res.headers["access-control-allow-origin"]).to.equal(undefined);
    expect(invoker.calls).to.have.length(1);
  });

  it("answers an allowed origin's preflight itself, without credentials, with the methods the path takes", async () => {
    const { app, invoker } = setup({ CORS_ORIGINS: "https://shop.example.com, https://ops.example.com:8443" });
    const res = await call(app, preflight("https://ops.example.com:8443", "/api/v1/orders/o-1", "DELETE"));
    expect(res.statusCode).to.equal(204);
    expect(res.headers).to.include({
      "access-control-allow-origin": "https://ops.example.com:8443",
      "access-control-allow-methods": "GET, DELETE, HEAD",
      "access-control-max-age": "600",
    });
    expect(String(res.headers["access-control-allow-headers"])).to.match(/Authorization/).and.match(/X-API-Key/).and.match(/Idempotency-Key/);
    expect(String(res.headers.vary)).to.match(/Origin/);
    expect(invoker.calls).to.have.length(0);
    // A path the API does not have fails the preflight.
    expect((await call(app, preflight("https://shop.example.com", "/api/v1/nowhere"))).statusCode).to.equal(404);
  });

  it("lets an allowed origin read the answer and the headers a client needs, and tells others nothing", async () => {
    const { app } = setup({ CORS_ORIGINS: "https://shop.example.com" });
    const allowed = await call(app, { method: "GET", url: "/api/v1/orders", headers: { ...operatorHeaders(), origin: "https://shop.example.com" } });
    expect(allowed.headers["access-control-allow-origin"]).to.equal("https://shop.example.com");
    expect(String(allowed.headers["access-control-expose-headers"])).to.match(/Location/).and.match(/RateLimit-Remaining/).and.match(/Retry-After/);
    const refused401 = await call(app, { method: "GET", url: "/api/v1/orders", headers: { origin: "https://shop.example.com" } });
    expect(refused401.statusCode).to.equal(401);
    expect(refused401.headers["access-control-allow-origin"], "a 401 is readable too").to.equal("https://shop.example.com");
    const other = await call(app, { method: "GET", url: "/api/v1/orders", headers: { ...operatorHeaders(), origin: "https://evil.example.net" } });
    expect(other.statusCode).to.equal(200);
    expect(other.headers["access-control-allow-origin"]).to.equal(undefined);
    expect((await call(app, preflight("https://evil.example.net"))).headers["access-control-allow-origin"]).to.equal(undefined);
  });

  it("CORS_ORIGINS=* lets any origin in, without echoing it", async () => {
    const res = await call(setup({ CORS_ORIGINS: "*" }).app, preflight("https://anyone.example.org"));
    expect(res.statusCode).to.equal(204);
    expect(res.headers["access-control-allow-origin"]).to.equal("*");
  });

  it("refuses at start a CORS_ORIGINS entry that is not an origin, naming the variable", () => {
    for (const bad of ["shop.example.com", "https://shop.example.com/", "https://shop.example.com/app", "ftp://files.example.com"]) {
      expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).to.throw(ConfigError, /CORS_ORIGINS/);
    }
  });
});

describe("requests the HTTP parser refuses", () => {
  /** A socket that keeps what the server writes. */
  function socket() {
    const written: string[] = [];
    const duplex = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    });
    return { duplex, text: () => written.join("") };
  }

  for (const [code, status] of [["HPE_HEADER_OVERFLOW", 431], ["ERR_HTTP_REQUEST_TIMEOUT", 408], ["HPE_INVALID_METHOD", 400]] as const) {
    it(`${code} gets ${status} as problem+json, and the connection closes`, async () => {
      const { duplex, text } = socket();
      answerClientError(Object.assign(new Error(code), { code }), duplex);
      await new Promise((done) => duplex.once("finish", done));
      const [head, body] = text().split("\r\n\r\n");
      expect(head).to.match(new RegExp(`^HTTP/1.1 ${status} `));
      expect(head).to.contain("Content-Type: application/problem+json").and.contain("Connection: close");
      expect(JSON.parse(body!)).to.include({ status });
    });
  }
});
