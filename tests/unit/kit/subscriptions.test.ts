import { expect } from "chai";
import type Koa from "koa";
import { createApp } from "../../../services/kit/http/app.ts";
import type { CloudEvent } from "../../../services/kit/events/cloudevents.ts";
import { DaprError } from "../../../services/kit/ports/errors.ts";
import { appliedMarkerKey } from "../../../services/kit/coordination/event-claims.ts";
import type { AppliedMarker } from "../../../services/kit/coordination/event-claims.ts";
import { KeyLocks, LockBusyError } from "../../../services/kit/coordination/locks.ts";
import { NotYetApplicableError, PoisonEventError } from "../../../services/kit/failures.ts";
import { deadLetterRouter } from "../../../services/kit/events/dead-letters.ts";
import { subscriptionsFor } from "../../../services/kit/events/handlers.ts";
import type { EventHandler } from "../../../services/kit/events/handlers.ts";
import { EventDelivery, subscriptionRouter } from "../../../services/kit/events/subscriptions.ts";
import { appBasics, call, FakeStateStore } from "../../support/fakes.ts";

function event(id: string, type = "thing.happened", data: unknown = { n: 1 }): CloudEvent {
  return { id, type, source: "test", specversion: "1.0", data, traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
}

function setup(handler: EventHandler, options: { now?: () => number } = {}) {
  const basics = appBasics("sub-test");
  const store = new FakeStateStore();
  const app: Koa = createApp(basics);
  const specs = [{ topic: "things", handlers: { "thing.happened": handler } }];
  const shared = { appId: "sub-test", store, locks: new KeyLocks(store, { waitMs: 50 }), logger: basics.logger, registry: basics.metrics.registry, ...options };
  const delivery = new EventDelivery(specs, { ...shared, pubsubName: "pubsub", claimLeaseMs: 1000 });
  app.use(subscriptionRouter(specs, { ...shared, pubsubName: "pubsub" }, delivery).routes());
  app.use(deadLetterRouter(specs, { ...shared, delivery }).routes());
  const deliver = async (e: unknown, path = "/dapr/events/things/thing.happened") => {
    const res = await call(app, { method: "POST", url: path, headers: { "content-type": "application/cloudevents+json" }, payload: JSON.stringify(e) });
    expect(res.statusCode).to.equal(200);
    return (res.json() as { status: string }).status;
  };
  return { app, store, deliver, basics, delivery };
}

describe("subscription router", () => {
  it("leaves the claims to handlers that apply each event id once by themselves, and still classifies their failures", async () => {
    const basics = appBasics("sub-test");
    const store = new FakeStateStore();
    const seen: string[] = [];
    const handler: EventHandler = async (e) => {
      if ((e.data as { early?: boolean }).early) throw new NotYetApplicableError("not yet");
      if ((e.data as { broken?: boolean }).broken) throw new PoisonEventError("broken");
      seen.push(e.id);
    };
    const specs = [{ topic: "things", handlers: { "thing.happened": handler }, idempotent: true }];
    const delivery = new EventDelivery(specs, { appId: "sub-test", pubsubName: "pubsub", store, locks: new KeyLocks(store), logger: basics.logger });
    expect((await delivery.apply("things", event("e1"))).outcome).to.equal("applied");
    expect((await delivery.apply("things", event("e1"))).outcome).to.equal("applied");
    expect(seen).to.deep.equal(["e1", "e1"]);
    expect((await delivery.apply("things", event("e2", "thing.happened", { early: true }))).outcome).to.equal("busy");
    expect((await delivery.apply("things", event("e3", "thing.happened", { broken: true }))).outcome).to.equal("dropped");
    // Nothing written to the state store: no marker for any of them.
    expect([...store.data.keys()]).to.deep.equal([]);
  });

  it("lists subscriptions with routing rules by type, each with a dead-letter topic of the app's own, and subscribes to those", async () => {
    const { app } = setup(async () => {});
    const res = await call(app, { method: "GET", url: "/dapr/subscribe" });
    expect(res.json()).to.deep.equal([
      {
        pubsubname: "pubsub",
        topic: "things",
        routes: {
          rules: [{ match: 'event.type == "thing.happened"', path: "/dapr/events/things/thing.happened" }],
          default: "/dapr/events/things/_other",
        },
        deadLetterTopic: "sub-test-things-dead-letter",
      },
      { pubsubname: "pubsub", topic: "sub-test-things-dead-letter", routes: { default: "/dapr/dead-letters/things" } },
    ]);
  });

  it("keeps a dead letter that cannot apply, once per event id, for GET /dead-letters", async () => {
    const { app, deliver } = setup(async (e) => {
      if ((e.data as { broken?: boolean }).broken) throw new PoisonEventError("broken");
    });
    const poison = event("p1", "thing.happened", { broken: true });
    expect(await deliver(poison, "/dapr/dead-letters/things")).to.equal("SUCCESS");
    expect(await deliver(poison, "/dapr/dead-letters/things")).to.equal("SUCCESS");
    const res = await call(app, { method: "GET", url: "/dead-letters" });
    const letters = (res.json() as Record<string, Array<{ id: string; data: unknown }>>)["sub-test-things-dead-letter"]!;
    expect(letters.map((l) => [l.id, l.data])).to.deep.equal([["p1", { broken: true }]]);
  });

  it("applies a dead letter that was given up on for a passing reason, and keeps nothing", async () => {
    let away = true;
    const { app, store, deliver } = setup(async (e) => {
      if (away) throw new DaprError("state store unavailable", { status: 500 });
      await store.save(`seen:${e.id}`, e.data);
    });
    // While the store is away the dead letter is asked for again, not kept.
    expect(await deliver(event("t1"), "/dapr/dead-letters/things")).to.equal("RETRY");
    away = false;
    expect(await deliver(event("t1"), "/dapr/dead-letters/things")).to.equal("SUCCESS");
    expect((await store.get("seen:t1"))?.value).to.deep.equal({ n: 1 });
    const res = await call(app, { method: "GET", url: "/dead-letters" });
    expect(res.json()).to.deep.equal({ "sub-test-things-dead-letter": [] });
  });

  it("re-drives kept dead letters after a fix, forgetting those that apply, and discards one with a reason", async () => {
    let fixed = false;
    const { app, store, deliver } = setup(async (e) => {
      if (!fixed && (e.data as { n: number }).n > 1) throw new PoisonEventError("not yet supported");
      await store.save(`seen:${e.id}`, e.data);
    });
    for (const id of ["r1", "r2", "r3"]) expect(await deliver(event(id, "thing.happened", { n: 2 }), "/dapr/dead-letters/things")).to.equal("SUCCESS");
    const list = async () => ((await call(app, { method: "GET", url: "/dead-letters" })).json() as Record<string, Array<{ id: string }>>)["sub-test-things-dead-letter"]!.map((l) => l.id);
    expect(await list()).to.deep.equal(["r1", "r2", "r3"]);

    const stillBroken = await call(app, { method: "POST", url: "/dead-letters/redrive?id=r1" });
    expect(stillBroken.json()).to.deep.equal({ redriven: [{ topic: "sub-test-things-dead-letter", id: "r1", outcome: "dropped" }] });
    expect(await list()).to.deep.equal(["r1", "r2", "r3"]);

    fixed = true;
    const one = await call(app, { method: "POST", url: "/dead-letters/redrive?topic=sub-test-things-dead-letter&id=r2" });
    expect((one.json() as { redriven: Array<{ id: string; outcome: string }> }).redriven).to.deep.equal([{ topic: "sub-test-things-dead-letter", id: "r2", outcome: "applied" }]);
    expect(await list()).to.deep.equal(["r1", "r3"]);
    expect((await store.get("seen:r2"))?.value).to.deep.equal({ n: 2 });

    const noReason = await call(app, { method: "DELETE", url: "/dead-letters/sub-test-things-dead-letter/r3", headers: { "content-type": "application/json" }, payload: "{}" });
    expect(noReason.statusCode).to.equal(422);
    expect(noReason.headers["content-type"]).to.match(/^application\/problem\+json/);
    expect(await list()).to.deep.equal(["r1", "r3"]);
    const discarded = await call(app, { method: "DELETE", url: "/dead-letters/sub-test-things-dead-letter/r3", headers: { "content-type": "application/json" }, payload: JSON.stringify({ reason: "a test order" }) });
    expect(discarded.statusCode).to.equal(204);
    const unknown = await call(app, { method: "DELETE", url: "/dead-letters/sub-test-things-dead-letter/r3", headers: { "content-type": "application/json" }, payload: JSON.stringify({ reason: "again" }) });
    expect(unknown.statusCode).to.equal(404);

    const all = await call(app, { method: "POST", url: "/dead-letters/redrive" });
    expect((all.json() as { redriven: Array<{ id: string; outcome: string }> }).redriven.map((r) => [r.id, r.outcome])).to.deep.equal([["r1", "applied"]]);
    expect(await list()).to.deep.equal([]);
  });

  it("says when its events make no progress (readiness check, gauge, log), and when they apply again", async () => {
    let clock = 0;
    let busy = true;
    const { deliver, delivery, basics } = setup(
      async () => {
        if (busy) throw new LockBusyError("order:1");
      },
      { now: () => clock },
    );
    // The registry adds the app's app_id label to every metric.
    const gauge = async () => Number((await basics.metrics.registry.getSingleMetricAsString("dapr_events_failing_seconds")).split("\n").pop()!.split(" ").pop());
    for (let i = 0; i < 9; i++) {
      clock += 10_000;
      expect(await deliver(event(`s${i}`))).to.equal("RETRY");
    }
    // Nine failures over 80 s: not yet ten.
    expect(delivery.stalled()).to.equal(undefined);
    clock += 10_000;
    expect(await deliver(event("s9"))).to.equal("RETRY");
    expect(delivery.stalled()).to.equal("no event applied for 90 s: the last 10 deliveries failed and asked to come again");
    let failure: Error | undefined;
    await delivery.readinessCheck().check().catch((err: Error) => (failure = err));
    expect(failure?.message).to.match(/^no event applied for 90 s/);
    expect(await gauge()).to.equal(90);
    busy = false;
    expect(await deliver(event("s10"))).to.equal("SUCCESS");
    expect(delivery.stalled()).to.equal(undefined);
    await delivery.readinessCheck().check();
    expect(await gauge()).to.equal(0);
  });

  it("runs the handler once and answers SUCCESS", async () => {
    const { store, deliver } = setup(async (e) => store.save(`seen:${e.id}`, e.data));
    expect(await deliver(event("e1"))).to.equal("SUCCESS");
    expect((await store.get("seen:e1"))?.value).to.deep.equal({ n: 1 });
    expect((await store.get<AppliedMarker>(appliedMarkerKey("things", "e1")))?.value.state).to.equal("applied");
  });

  it("applies a CloudEvent id once, however often it is delivered", async () => {
    let calls = 0;
    const { deliver, basics } = setup(async () => {
      calls++;
    });
    expect(await deliver(event("e1"))).to.equal("SUCCESS");
    expect(await deliver(event("e1"))).to.equal("SUCCESS");
    expect(await deliver(event("e1"))).to.equal("SUCCESS");
    expect(calls).to.equal(1);
    const metrics = await basics.metrics.registry.metrics();
    expect(metrics).to.match(/dapr_events_total\{topic="things",type="thing.happened",outcome="duplicate",app_id="sub-test"\} 2/);
  });

  it("runs the handler in the event's trace", async () => {
    const { deliver, basics } = setup(async (_e, log) => {
      log.info("handling");
    });
    await deliver(event("e1"));
    expect(basics.lines.find((l) => l.msg === "handling")).to.include({ trace_id: "0af7651916cd43dd8448eb211c80319c", event_id: "e1" });
  });

  it("takes the trace from traceid when traceparent is empty (as the outbox sends it)", async () => {
    const { deliver, basics } = setup(async (_e, log) => {
      log.info("handling");
    });
    await deliver({ ...event("e2"), traceparent: "", traceid: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" });
    expect(basics.lines.find((l) => l.msg === "handling")).to.include({ trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" });
  });

  it("asks for redelivery when the handler fails, and applies the redelivery", async () => {
    let attempts = 0;
    const { deliver } = setup(async () => {
      attempts++;
      if (attempts === 1) throw new DaprError("state store down", { status: 500 });
    });
    expect(await deliver(event("e1"))).to.equal("RETRY");
    expect(await deliver(event("e1"))).to.equal("SUCCESS");
    expect(attempts).to.equal(2);
  });

  it("asks for redelivery when the handler's guarded write loses a race", async () => {
    const { store, deliver } = setup(async () => store.save("k", 1, { etag: "99" }));
    expect(await deliver(event("e1"))).to.equal("RETRY");
    expect(await store.get(appliedMarkerKey("things", "e1"))).to.equal(undefined);
  });

  it("asks for redelivery when the handler cannot get a lock, or the event came before what it builds on", async () => {
    const errors = [new LockBusyError("order:1"), new NotYetApplicableError("not reserved yet")];
    const { deliver } = setup(async () => {
      const err = errors.shift();
      if (err) throw err;
    });
    expect(await deliver(event("e1"))).to.equal("RETRY");
    expect(await deliver(event("e1"))).to.equal("RETRY");
    expect(await deliver(event("e1"))).to.equal("SUCCESS");
  });

  it("drops a poison event to the dead-letter topic", async () => {
    const { deliver } = setup(async () => {
      throw new PoisonEventError("no order_id");
    });
    expect(await deliver(event("e1"))).to.equal("DROP");
  });

  it("drops a delivery that is not a CloudEvent", async () => {
    const { deliver } = setup(async () => {});
    expect(await deliver({ hello: "world" })).to.equal("DROP");
  });

  it("acknowledges events of types it does not handle", async () => {
    const { deliver } = setup(async () => {
      throw new Error("must not run");
    });
    expect(await deliver(event("e9", "other.thing"), "/dapr/events/things/_other")).to.equal("SUCCESS");
  });

  it("asks a concurrent delivery of an event still at work to come again", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { deliver } = setup(async () => {
      await gate;
    });
    const first = deliver(event("e1"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await deliver(event("e1"))).to.equal("RETRY");
    release();
    expect(await first).to.equal("SUCCESS");
  });

  it("takes over a claim whose lease ran out (its holder died)", async () => {
    let clock = 1_000_000;
    const { store, deliver } = setup(async () => {}, { now: () => clock });
    await store.save(appliedMarkerKey("things", "e1"), { event_id: "e1", type: "thing.happened", holder: "another delivery", state: "claimed", claimed_until: clock + 500 }, { onlyIfAbsent: true });
    expect(await deliver(event("e1"))).to.equal("RETRY");
    clock += 1000;
    expect(await deliver(event("e1"))).to.equal("SUCCESS");
    expect((await store.get<AppliedMarker>(appliedMarkerKey("things", "e1")))?.value.state).to.equal("applied");
  });

  it("retries when the marker cannot be claimed (store unavailable)", async () => {
    const { store, deliver } = setup(async () => {});
    store.failNextWrite = new DaprError("redis down", { status: 500 });
    expect(await deliver(event("e1"))).to.equal("RETRY");
    expect(await deliver(event("e1"))).to.equal("SUCCESS");
  });
});

describe("subscriptions from an event catalog", () => {
  const catalog = {
    "thing.moved": { topic: "things", schema: { type: "object", required: ["id", "to"], properties: { id: { type: "string" }, to: { type: "string" } } } },
  };
  type Things = { "thing.moved": { id: string; to: string } };

  function served(only: ReadonlyArray<string>) {
    const seen: string[] = [];
    const specs = subscriptionsFor<Things>(catalog, {
      "thing.moved": { only: { to: only }, handle: async (event) => void seen.push(event.data.to) },
    });
    const basics = appBasics("sub-test");
    const store = new FakeStateStore();
    const app = createApp(basics);
    app.use(subscriptionRouter(specs, { appId: "sub-test", pubsubName: "pubsub", store, locks: new KeyLocks(store), logger: basics.logger, registry: basics.metrics.registry }).routes());
    const deliver = async (e: unknown) =>
      (await call(app, { method: "POST", url: "/dapr/events/things/thing.moved", headers: { "content-type": "application/cloudevents+json" }, payload: JSON.stringify(e) })).json().status;
    return { seen, store, deliver };
  }

  it("acknowledges an event its handler does not want without claiming or reading anything", async () => {
    const { seen, store, deliver } = served(["shelf"]);
    expect(await deliver(event("e1", "thing.moved", { id: "t1", to: "floor" }))).to.equal("SUCCESS");
    expect(seen).to.deep.equal([]);
    expect(store.writes).to.equal(0);
    expect(await deliver(event("e2", "thing.moved", { id: "t1", to: "shelf" }))).to.equal("SUCCESS");
    expect(seen).to.deep.equal(["shelf"]);
  });

  it("still drops data that breaks the schema to the dead-letter topic, wanted or not", async () => {
    const { seen, deliver } = served(["shelf"]);
    expect(await deliver(event("e3", "thing.moved", { id: "t1" }))).to.equal("DROP");
    expect(seen).to.deep.equal([]);
  });
});
