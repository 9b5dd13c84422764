import { expect } from "chai";
import { buildApp } from "../../../services/gateway/app.ts";
import { RateLimiter } from "../../../services/gateway/rate-limit.ts";
import { DaprUnavailableError } from "../../../services/kit/ports/errors.ts";
import { appBasics, call, FakeInvoker, FakeSidecar, FakeStateStore, jsonResponse } from "../../support/fakes.ts";
import { gatewayDeps } from "../../support/gateway.ts";
import { devApiKey } from "../../support/credentials.ts";

const START = Date.parse("2026-03-01T10:00:10Z");

/** A gateway replica counting in `store`, `limit` requests a minute. */
function replica(store: FakeStateStore, limit: number) {
  const invoker = new FakeInvoker(() => jsonResponse(200, {}));
  const basics = appBasics("gateway");
  const app = buildApp({ ...basics, ...gatewayDeps(), invoker, sidecar: new FakeSidecar(), store, rateLimit: { limit, windowMs: 60_000 } });
  return { app, invoker, lines: basics.lines };
}

const asOperator = { "x-api-key": devApiKey("operator").key };

describe("gateway: rate limit", () => {
  it("lets a client make `limit` requests a window, then answers 429 with Retry-After, and says where it stands each time", async () => {
    const { app, invoker } = replica(new FakeStateStore(), 3);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await call(app, { method: "GET", url: "/api/v1/orders", headers: asOperator }));
    expect(answers.map((a) => a.statusCode)).to.deep.equal([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers["ratelimit-remaining"])).to.deep.equal(["2", "1", "0", "0"]);
    expect(answers[0]!.headers["ratelimit-limit"]).to.equal("3");
    const refused = answers[3]!;
    expect(Number(refused.headers["retry-after"])).to.be.within(1, 60);
    expect(refused.headers["content-type"]).to.equal("application/problem+json");
    expect(refused.json().type).to.match(/too-many-requests$/);
    expect(invoker.calls).to.have.length(3);
  });

  it("counts each client apart: callers by who they are, anonymous ones by address", async () => {
    const { app } = replica(new FakeStateStore(), 1);
    expect((await call(app, { method: "GET", url: "/api/v1/orders", headers: asOperator })).statusCode).to.equal(200);
    expect((await call(app, { method: "GET", url: "/api/v1/orders", headers: asOperator })).statusCode).to.equal(429);
    const ada = { "x-api-key": devApiKey("customer", "dev-customer-ada").key };
    expect((await call(app, { method: "GET", url: "/api/v1/track/LGX1", headers: ada })).statusCode).to.equal(200);
    expect((await call(app, { method: "GET", url: "/api/v1/track/LGX1", remoteAddress: "127.0.0.7" })).statusCode).to.equal(200);
    expect((await call(app, { method: "GET", url: "/api/v1/track/LGX1", remoteAddress: "127.0.0.7" })).statusCode).to.equal(429);
    expect((await call(app, { method: "GET", url: "/api/v1/track/LGX1", remoteAddress: "127.0.0.8" })).statusCode).to.equal(200);
  });

  it("counts one client's requests across two gateway replicas that share the store, concurrent ones included", async () => {
    const store = new FakeStateStore();
    const one = replica(store, 10);
    const two = replica(store, 10);
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => call(i % 2 === 0 ? one.app : two.app, { method: "GET", url: "/api/v1/orders", headers: asOperator })),
    );
    expect(answers.filter((a) => a.statusCode === 200)).to.have.length(10);
    expect(answers.filter((a) => a.statusCode === 429)).to.have.length(6);
    expect(one.invoker.calls.length + two.invoker.calls.length).to.equal(10);
  });

  it("counts a burst of one client's requests in one replica together: exactly the limit let in, in a few store writes", async () => {
    let saves = 0;
    const store = new (class extends FakeStateStore {
      override async save(...args: Parameters<FakeStateStore["save"]>) {
        saves += 1;
        return super.save(...args);
      }
    })();
    const limiter = new RateLimiter({ limit: 30, windowMs: 60_000, store, now: () => START });
    const allowances = await Promise.all(Array.from({ length: 50 }, () => limiter.take("key:busy")));
    expect(allowances.filter((a) => a.allowed)).to.have.length(30);
    expect(allowances.filter((a) => a.allowed).map((a) => a.remaining).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i));
    expect(saves, "store writes for 50 concurrent requests").to.be.at.most(2);
    expect((await store.get<number>(`ratelimit:key:busy:${Math.floor(START / 60_000)}`))?.value).to.equal(30);
  });

  it("starts each window afresh", async () => {
    let now = START;
    const limiter = new RateLimiter({ limit: 2, windowMs: 60_000, store: new FakeStateStore(), now: () => now });
    expect((await limiter.take("c")).allowed).to.equal(true);
    expect((await limiter.take("c")).allowed).to.equal(true);
    const third = await limiter.take("c");
    expect(third).to.deep.equal({ allowed: false, limit: 2, remaining: 0, resetSeconds: 50 });
    now += 50_000;
    expect(await limiter.take("c")).to.deep.include({ allowed: true, remaining: 1 });
  });

  it("lets requests through, and logs it, when its store cannot be reached", async () => {
    const store = new FakeStateStore();
    store.get = async () => {
      throw new DaprUnavailableError("connect ECONNREFUSED 127.0.0.1:3500");
    };
    const { app, lines } = replica(store, 1);
    for (let i = 0; i < 3; i++) expect((await call(app, { method: "GET", url: "/api/v1/orders", headers: asOperator })).statusCode).to.equal(200);
    expect(lines.some((l) => String(l.msg).startsWith("rate limit not applied"))).to.equal(true);
  });
});
