import { expect } from "chai";
import { Registry } from "prom-client";
import { stateMetric } from "../../../services/kit/metrics.ts";
import { observeAnnouncements } from "../../../services/kit/ports/announced.ts";
import { FakeStateStore } from "../../support/fakes.ts";
import { sample } from "../../support/metrics.ts";

describe("state-backed metrics", () => {
  it("reads the values at each scrape, replacing the labels a read no longer gives", async () => {
    const registry = new Registry();
    let readings: Array<[Partial<Record<"sku", string>>, number]> = [[{ sku: "A" }, 3], [{ sku: "B" }, 0]];
    stateMetric(registry, { name: "stock", help: "stock", labelNames: ["sku"] as const, read: async () => readings });
    expect(await sample(registry, 'stock{sku="A"}')).to.equal(3);
    expect(await sample(registry, 'stock{sku="B"}')).to.equal(0);
    readings = [[{ sku: "A" }, 1]];
    expect(await sample(registry, 'stock{sku="A"}')).to.equal(1);
    expect(await sample(registry, 'stock{sku="B"}')).to.equal(undefined);
  });

  it("exposes a stored count as a counter that starts where the store is, not at zero", async () => {
    const registry = new Registry();
    let count = 41;
    stateMetric(registry, { name: "things_total", help: "things", kind: "counter", read: async () => [[{}, count]] });
    expect(await registry.metrics()).to.include("# TYPE things_total counter");
    expect(await sample(registry, "things_total")).to.equal(41);
    count = 42;
    expect(await sample(registry, "things_total")).to.equal(42);
  });

  it("keeps the last values when a read fails, counts the failure and says why", async () => {
    const registry = new Registry();
    let fail = false;
    const errors: unknown[] = [];
    stateMetric(registry, {
      name: "orders",
      help: "orders",
      read: async () => {
        if (fail) throw new Error("store away");
        return [[{}, 7]];
      },
      onError: (err) => errors.push(err),
    });
    expect(await sample(registry, "orders")).to.equal(7);
    fail = true;
    expect(await sample(registry, "orders")).to.equal(7);
    expect(await sample(registry, 'logistics_metric_reads_failed_total{metric="orders"}')).to.equal(1);
    expect((errors[0] as Error).message).to.equal("store away");
  });
});

describe("observeAnnouncements", () => {
  it("tells of each event once its commit succeeded, and of none when it failed", async () => {
    const store = new FakeStateStore();
    const seen: string[] = [];
    const observed = observeAnnouncements(store, (event) => seen.push(event.type));
    await observed.commit([{ operation: "upsert", key: "a", value: 1 }], [{ key: "a", type: "thing.created", data: {} }]);
    store.failNextWrite = new Error("down");
    await observed.commit([{ operation: "upsert", key: "b", value: 1 }], [{ key: "b", type: "thing.created", data: {} }]).catch(() => undefined);
    expect(seen).to.deep.equal(["thing.created"]);
    expect((await observed.get<number>("a"))?.value).to.equal(1);
    expect(await observed.get("b")).to.equal(undefined);
  });
});
