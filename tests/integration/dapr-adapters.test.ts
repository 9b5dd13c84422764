/**
 * The kit's adapters against a real sidecar and a real Redis: what the ports
 * promise (ETags, insert-only writes, typed errors, secrets, publishing) holds
 * for the store and broker behind them, not only for the fakes.
 */
import { expect } from "chai";
import { connectSidecar } from "../../services/kit/dapr/adapters.ts";
import { DaprError, DaprUnavailableError, EtagMismatchError } from "../../services/kit/ports/errors.ts";
import { RateLimiter } from "../../services/gateway/rate-limit.ts";
import { system } from "../support/system-hooks.ts";

describe("Dapr adapters against a real sidecar", function () {
  this.timeout(30_000);
  // The payment app's sidecar: its state is prefixed "payment||", so these keys touch no other service.
  const dapr = () => connectSidecar({ daprHost: "127.0.0.1", daprHttpPort: system().daprPort("payment"), daprApiToken: system().daprApiToken }, { stateStore: "paymentstore", pubsub: "pubsub" });
  const key = (name: string) => `adapter-test:${name}:${crypto.randomUUID()}`;

  it("reads back a saved value with an ETag, and a missing key as undefined", async () => {
    const { state } = dapr();
    const k = key("roundtrip");
    expect(await state.get(k)).to.equal(undefined);
    await state.save(k, { n: 1, text: "héllo" });
    const entry = await state.get<{ n: number }>(k);
    expect(entry?.value).to.deep.equal({ n: 1, text: "héllo" });
    expect(entry?.etag).to.be.a("string").and.not.equal("");
  });

  it("refuses a write with a stale ETag (EtagMismatchError) and keeps the newer value", async () => {
    const { state } = dapr();
    const k = key("etag");
    await state.save(k, { v: 1 });
    const first = (await state.get(k))!;
    await state.save(k, { v: 2 }, { etag: first.etag });
    let error: unknown;
    await state.save(k, { v: 3 }, { etag: first.etag }).catch((e) => (error = e));
    expect(error).to.be.instanceOf(EtagMismatchError);
    expect((await state.get(k))?.value).to.deep.equal({ v: 2 });
  });

  it("lets only the first of two insert-only writes in", async () => {
    const { state } = dapr();
    const k = key("insert-only");
    await state.save(k, { who: "first" }, { onlyIfAbsent: true });
    let error: unknown;
    await state.save(k, { who: "second" }, { onlyIfAbsent: true }).catch((e) => (error = e));
    expect(error).to.be.instanceOf(EtagMismatchError);
    expect((await state.get(k))?.value).to.deep.equal({ who: "first" });
  });

  it("deletes with an ETag only when it is current", async () => {
    const { state } = dapr();
    const k = key("delete");
    await state.save(k, { v: 1 });
    const stale = (await state.get(k))!.etag;
    await state.save(k, { v: 2 }, { etag: stale });
    let error: unknown;
    await state.delete(k, { etag: stale }).catch((e) => (error = e));
    expect(error).to.be.instanceOf(DaprError);
    await state.delete(k, { etag: (await state.get(k))!.etag });
    expect(await state.get(k)).to.equal(undefined);
  });

  it("writes several keys in one transaction and reads them in bulk", async () => {
    const { state } = dapr();
    const [a, b] = [key("tx-a"), key("tx-b")];
    await state.transact([
      { operation: "upsert", key: a, value: { side: "a" } },
      { operation: "upsert", key: b, value: { side: "b" } },
    ]);
    const entries = await state.getMany<{ side: string }>([b, key("absent"), a]);
    expect(entries.map((e) => e.value.side)).to.deep.equal(["b", "a"]);
  });

  it("reads a secret from the secret store component", async () => {
    const { secrets } = dapr();
    expect(await secrets.get("secretstore", "SMTP_PASSWORD")).to.deep.equal({ SMTP_PASSWORD: system().secrets.SMTP_PASSWORD });
  });

  it("publishes to the broker, and names an unknown pub/sub in its error", async () => {
    const { publisher } = dapr();
    await publisher.publish("notifications", "adapter.tested", { ok: true }, { id: crypto.randomUUID() });
    const unknown = connectSidecar({ daprHost: "127.0.0.1", daprHttpPort: system().daprPort("payment"), daprApiToken: system().daprApiToken }, { stateStore: "paymentstore", pubsub: "no-such-pubsub" });
    let error: unknown;
    await unknown.publisher.publish("t", "x", {}).catch((e) => (error = e));
    expect(error).to.be.instanceOf(DaprError);
    expect((error as DaprError).code).to.equal("ERR_PUBSUB_NOT_FOUND");
  });

  it("is refused by a sidecar without the API token", async () => {
    const tokenless = connectSidecar({ daprHost: "127.0.0.1", daprHttpPort: system().daprPort("payment"), daprApiToken: undefined }, { stateStore: "paymentstore", pubsub: "pubsub" });
    let error: unknown;
    await tokenless.state.get("k").catch((e) => (error = e));
    expect(error).to.be.instanceOf(DaprError);
    expect((error as DaprError).status).to.equal(401);
  });

  it("reports a sidecar that is not there as DaprUnavailableError", async () => {
    const gone = connectSidecar({ daprHost: "127.0.0.1", daprHttpPort: 1, daprApiToken: undefined }, { stateStore: "paymentstore", pubsub: "pubsub" });
    let error: unknown;
    await gone.state.get("k").catch((e) => (error = e));
    expect(error).to.be.instanceOf(DaprUnavailableError);
  });

  it("counts one client's requests exactly across two gateway replicas racing on the real store (the rate limit)", async () => {
    // Two limiters as two gateway replicas would have, each through its own
    // connection to the gateway's sidecar and store: 30 concurrent takes
    // against a limit of 12 let exactly 12 through.
    const replica = () =>
      new RateLimiter({
        limit: 12,
        windowMs: 60_000,
        store: connectSidecar({ daprHost: "127.0.0.1", daprHttpPort: system().daprPort("gateway"), daprApiToken: system().daprApiToken }, { stateStore: "gatewaystore", pubsub: "pubsub" }).state,
      });
    const [one, two] = [replica(), replica()];
    const client = `adapter-test-${crypto.randomUUID()}`;
    const taken = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? one : two).take(client)));
    expect(taken.filter((a) => a.allowed)).to.have.length(12);
    expect(taken.filter((a) => a.allowed).map((a) => a.remaining).sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });
});
