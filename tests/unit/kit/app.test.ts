import Router from "@koa/router";
import { expect } from "chai";
import { createApp } from "../../../services/kit/http/app.ts";
import type { AppOptions } from "../../../services/kit/http/app.ts";
import { HttpProblem, KitProblems } from "../../../services/kit/http/problems.ts";
import { appBasics, call } from "../../support/fakes.ts";

function buildTestApp(extra: Partial<AppOptions> = {}) {
  const basics = appBasics("kit-test");
  const app = createApp({ ...basics, ...extra });
  const router = new Router();
  router.post("/echo", (ctx) => {
    ctx.body = { got: (ctx.request as { body?: unknown }).body ?? null };
  });
  router.get("/conflict", () => {
    throw new HttpProblem(KitProblems.conflict, "Already shipped");
  });
  router.get("/boom", () => {
    throw new Error("secret database password in message");
  });
  app.use(router.routes());
  return { app, lines: basics.lines, metrics: basics.metrics };
}

describe("kit app", () => {
  describe("errors as problem+json", () => {
    it("answers malformed JSON with 400", async () => {
      const { app } = buildTestApp();
      const res = await call(app, { method: "POST", url: "/echo", headers: { "content-type": "application/json" }, payload: "{not json" });
      expect(res.statusCode).to.equal(400);
      expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
      expect(res.json()).to.include({ status: 400, title: "Malformed JSON", instance: "/echo" });
    });

    it("answers a body over the limit with 413 and does not parse it", async () => {
      const { app } = buildTestApp();
      const big = JSON.stringify({ pad: "x".repeat(20 * 1024) });
      const res = await call(app, { method: "POST", url: "/echo", headers: { "content-type": "application/json" }, payload: big });
      expect(res.statusCode).to.equal(413);
      expect(res.json().type).to.match(/payload-too-large$/);
    });

    it("answers a body that is not JSON with 415", async () => {
      const { app } = buildTestApp();
      const res = await call(app, { method: "POST", url: "/echo", headers: { "content-type": "text/plain" }, payload: "hello" });
      expect(res.statusCode).to.equal(415);
    });

    it("answers a body without a type with 415, and takes an empty one (chunked) without one", async () => {
      const { app } = buildTestApp();
      const typeless = await call(app, { method: "POST", url: "/echo", headers: { "transfer-encoding": "chunked" }, payload: '{"a":1}' });
      expect(typeless.statusCode).to.equal(415);
      const empty = await call(app, { method: "POST", url: "/echo", headers: { "transfer-encoding": "chunked" }, payload: "" });
      expect(empty.statusCode).to.not.equal(415);
    });

    it("parses JSON bodies, +json types included", async () => {
      const { app } = buildTestApp();
      const res = await call(app, { method: "POST", url: "/echo", headers: { "content-type": "application/cloudevents+json" }, payload: '{"a":1}' });
      expect(res.statusCode).to.equal(200);
      expect(res.json()).to.deep.equal({ got: { a: 1 } });
    });

    it("renders an HttpProblem with its status and detail", async () => {
      const { app } = buildTestApp();
      const res = await call(app, { method: "GET", url: "/conflict" });
      expect(res.statusCode).to.equal(409);
      expect(res.json()).to.include({ status: 409, detail: "Already shipped", instance: "/conflict" });
    });

    it("answers an unknown path with a 404 problem", async () => {
      const { app } = buildTestApp();
      const res = await call(app, { method: "GET", url: "/nowhere" });
      expect(res.statusCode).to.equal(404);
      expect(res.json().type).to.match(/not-found$/);
    });

    it("answers an unexpected error with a 500 that leaks nothing, and logs it", async () => {
      const { app, lines } = buildTestApp();
      const res = await call(app, { method: "GET", url: "/boom" });
      expect(res.statusCode).to.equal(500);
      expect(res.body).to.not.contain("secret");
      expect(lines.some((l) => l.msg === "unhandled error" && l.level === "error")).to.equal(true);
    });
  });

  describe("request ids, traces and logs", () => {
    it("keeps a given request id and continues the caller's trace", async () => {
      const { app, lines } = buildTestApp();
      const res = await call(app, {
        method: "POST",
        url: "/echo",
        headers: { "x-request-id": "req-42", traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "content-type": "application/json" },
        payload: "{}",
      });
      expect(res.headers["x-request-id"]).to.equal("req-42");
      expect(res.headers.traceparent).to.match(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
      const access = lines.find((l) => l.msg === "request")!;
      expect(access).to.include({ request_id: "req-42", trace_id: "0af7651916cd43dd8448eb211c80319c", status: 200, route: "/echo", app_id: "kit-test" });
    });

    it("makes up a request id when none (or a bad one) is given", async () => {
      const { app } = buildTestApp();
      const res = await call(app, { method: "GET", url: "/healthz", headers: { "x-request-id": "bad id with spaces" } });
      expect(res.headers["x-request-id"]).to.match(/^[0-9a-f-]{36}$/);
    });
  });

  describe("probes and metrics", () => {
    it("answers /healthz with the runtime", async () => {
      const { app } = buildTestApp();
      const res = await call(app, { method: "GET", url: "/healthz" });
      expect(res.statusCode).to.equal(200);
      expect(res.json()).to.include({ status: "ok", app_id: "kit-test", runtime: "node" });
    });

    it("answers /readyz with 503 naming the dependency that is down", async () => {
      const { app } = buildTestApp({
        readiness: [
          { name: "dapr", check: async () => {} },
          { name: "broker", check: async () => Promise.reject(new Error("no route")) },
        ],
      });
      const res = await call(app, { method: "GET", url: "/readyz" });
      expect(res.statusCode).to.equal(503);
      expect(res.json()).to.deep.equal({ status: "unavailable", checks: { dapr: { status: "ok" }, broker: { status: "down", reason: "no route" } } });
    });

    it("counts requests per route and status on /metrics", async () => {
      const { app } = buildTestApp();
      await call(app, { method: "GET", url: "/conflict" });
      await call(app, { method: "GET", url: "/conflict" });
      const res = await call(app, { method: "GET", url: "/metrics" });
      expect(res.headers["content-type"]).to.match(/^text\/plain/);
      expect(res.body).to.match(/http_server_requests_total\{method="GET",route="\/conflict",status="409",app_id="kit-test"\} 2/);
      expect(res.body).to.contain("http_server_request_duration_seconds_bucket");
    });
  });

  describe("APP_API_TOKEN", () => {
    it("refuses calls without the token, but not the probes", async () => {
      const { app } = buildTestApp({ appApiToken: "t0ken" });
      expect((await call(app, { method: "POST", url: "/echo", payload: {} })).statusCode).to.equal(401);
      expect((await call(app, { method: "POST", url: "/echo", headers: { "dapr-api-token": "wrong" }, payload: {} })).statusCode).to.equal(401);
      expect((await call(app, { method: "POST", url: "/echo", headers: { "dapr-api-token": "t0ken" }, payload: {} })).statusCode).to.equal(200);
      expect((await call(app, { method: "GET", url: "/healthz" })).statusCode).to.equal(200);
    });
  });
});
