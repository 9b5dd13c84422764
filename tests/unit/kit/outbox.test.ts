import { expect } from "chai";
import type { OutboxEvent, StateOperation } from "../../../services/kit/ports/ports.ts";
import { EVENT_RECORD_TTL_SECONDS, outboxOperations } from "../../../services/kit/dapr/state.ts";

function upsert(key: string, value: unknown = { key }, extra: Partial<Extract<StateOperation, { operation: "upsert" }>> = {}): StateOperation {
  return { operation: "upsert", key, value, ...extra };
}

function ids(...values: string[]): () => string {
  const queue = [...values];
  return () => {
    const next = queue.shift();
    if (next === undefined) throw new Error("no more ids");
    return next;
  };
}

function isProjection(op: StateOperation): boolean {
  return op.operation === "upsert" && op.metadata?.["outbox.projection"] === "true";
}

/**
 * Dapr's removal of projections from a transaction, as Go runs it:
 *
 *   for i, op := range ops {
 *     if isProjection(op) { ops = append(ops[:i], ops[i+1:]...) }
 *   }
 *
 * `range` fixes the length at the start and reads element i of the original
 * backing array each time; `append` into ops[:i] shifts the tail left inside
 * that same array (the capacity suffices). ops[:i] may reach past len up to
 * cap; ops[i+1:] may not start past len, which panics.
 */
function daprRemoveProjections(operations: StateOperation[]): StateOperation[] {
  const backing = [...operations];
  let len = backing.length;
  const rangeLength = backing.length;
  for (let i = 0; i < rangeLength; i++) {
    const op = backing[i]!;
    if (!isProjection(op)) continue;
    if (i > backing.length) throw new Error(`panic: slice bounds out of range [:${i}] with capacity ${backing.length}`);
    if (i + 1 > len) throw new Error(`panic: slice bounds out of range [${i + 1}:${len}]`);
    const tail = backing.slice(i + 1, len);
    tail.forEach((moved, j) => {
      backing[i + j] = moved;
    });
    len = i + tail.length;
  }
  return backing.slice(0, len);
}

describe("outboxOperations", () => {
  it("places each upsert's projection, with the event data, immediately before it", () => {
    const ops = outboxOperations(
      [upsert("order:1", { v: 1 }), upsert("order:2", { v: 2 })],
      [
        { type: "order.created", key: "order:1", data: { e: 1 } },
        { type: "order.updated", key: "order:2", data: { e: 2 } },
      ],
      ids(),
    );
    expect(ops).to.deep.equal([
      { operation: "upsert", key: "order:1", value: { e: 1 }, metadata: { "outbox.projection": "true", contentType: "application/json" } },
      { operation: "upsert", key: "order:1", value: { v: 1 }, metadata: { type: "order.created" } },
      { operation: "upsert", key: "order:2", value: { e: 2 }, metadata: { "outbox.projection": "true", contentType: "application/json" } },
      { operation: "upsert", key: "order:2", value: { v: 2 }, metadata: { type: "order.updated" } },
    ]);
  });

  it("keeps the upsert's own options and metadata, adding type and no contentType", () => {
    const [, stored] = outboxOperations(
      [upsert("order:1", { v: 1 }, { etag: "7", metadata: { ttlInSeconds: "60" } })],
      [{ type: "order.created", key: "order:1", data: {} }],
      ids(),
    );
    expect(stored).to.deep.equal({ operation: "upsert", key: "order:1", value: { v: 1 }, etag: "7", metadata: { ttlInSeconds: "60", type: "order.created" } });
  });

  it("passes deletes through without a projection", () => {
    const ops = outboxOperations([{ operation: "delete", key: "old", etag: "3" }, upsert("order:1")], [{ type: "order.created", key: "order:1", data: {} }], ids());
    expect(ops.map((op) => [op.operation, op.key, isProjection(op)])).to.deep.equal([
      ["delete", "old", false],
      ["upsert", "order:1", true],
      ["upsert", "order:1", false],
    ]);
  });

  it("gives an event without key a record event:<id> that lives EVENT_RECORD_TTL_SECONDS, announced by it", () => {
    const ops = outboxOperations([], [{ type: "inventory.low_stock", data: { sku: "A" } }], ids("e-1"));
    expect(ops).to.deep.equal([
      { operation: "upsert", key: "event:e-1", value: { sku: "A" }, metadata: { "outbox.projection": "true", contentType: "application/json" } },
      {
        operation: "upsert",
        key: "event:e-1",
        value: { type: "inventory.low_stock" },
        metadata: { ttlInSeconds: String(EVENT_RECORD_TTL_SECONDS), type: "inventory.low_stock" },
      },
    ]);
    expect(EVENT_RECORD_TTL_SECONDS).to.equal(86_400);
  });

  it("puts event records after the operations, each keyed by its own id", () => {
    const ops = outboxOperations(
      [upsert("order:1")],
      [
        { type: "a", data: {} },
        { type: "order.created", key: "order:1", data: {} },
        { type: "b", data: {} },
      ],
      ids("x", "y"),
    );
    expect(ops.filter((op) => !isProjection(op)).map((op) => op.key)).to.deep.equal(["order:1", "event:x", "event:y"]);
  });

  it("throws for an upsert announced by no event", () => {
    expect(() => outboxOperations([upsert("order:1"), upsert("order:2")], [{ type: "order.created", key: "order:1", data: {} }], ids())).to.throw(
      "the upsert of order:2 is announced by no event",
    );
  });

  it("throws for two events with the same key", () => {
    const events: OutboxEvent[] = [
      { type: "a", key: "order:1", data: {} },
      { type: "b", key: "order:1", data: {} },
    ];
    expect(() => outboxOperations([upsert("order:1")], events, ids())).to.throw("two events announce the write of order:1");
  });

  it("throws for an event whose key is not upserted", () => {
    expect(() =>
      outboxOperations(
        [upsert("order:1")],
        [
          { type: "a", key: "order:1", data: {} },
          { type: "b", key: "order:9", data: {} },
        ],
        ids(),
      ),
    ).to.throw("events announce writes that are not in the transaction: order:9");
  });

  it("throws for an event whose key is only deleted", () => {
    expect(() => outboxOperations([{ operation: "delete", key: "order:1" }], [{ type: "a", key: "order:1", data: {} }], ids())).to.throw(
      "not in the transaction: order:1",
    );
  });

  it("throws for one key upserted twice", () => {
    expect(() => outboxOperations([upsert("order:1"), upsert("order:1")], [{ type: "a", key: "order:1", data: {} }], ids())).to.throw(
      "order:1 is upserted twice",
    );
  });

  it("throws for several operations with no events", () => {
    expect(() => outboxOperations([upsert("a"), { operation: "delete", key: "b" }], [], ids())).to.throw("announce each with an event");
  });

  describe("through Dapr's projection-removal loop", () => {
    it("the simulation shows why the layout matters: two projections in a row leave one behind", () => {
      const p = (key: string) => upsert(key, {}, { metadata: { "outbox.projection": "true" } });
      const survivors = daprRemoveProjections([p("a"), p("b"), upsert("a"), upsert("b")]);
      expect(survivors.filter(isProjection).map((op) => op.key)).to.deep.equal(["b"]);
    });

    it("the simulation panics as Go does for a projection left last after a removal", () => {
      const p = (key: string) => upsert(key, {}, { metadata: { "outbox.projection": "true" } });
      expect(() => daprRemoveProjections([p("a"), upsert("a"), upsert("b"), p("b")])).to.throw("panic");
    });

    const cases: Array<{ name: string; operations: StateOperation[]; events: OutboxEvent[] }> = [
      { name: "1 event", operations: [upsert("order:1")], events: [{ type: "order.created", key: "order:1", data: { n: 1 } }] },
      {
        name: "2 events",
        operations: [upsert("order:1"), { operation: "delete", key: "old" }],
        events: [
          { type: "order.status_changed", key: "order:1", data: { n: 1 } },
          { type: "order.cancelled", data: { n: 2 } },
        ],
      },
      {
        name: "3 events",
        operations: [upsert("stock:A"), upsert("stock:B"), { operation: "delete", key: "lock:x" }],
        events: [
          { type: "inventory.reserved", key: "stock:A", data: { n: 1 } },
          { type: "inventory.low_stock", key: "stock:B", data: { n: 2 } },
          { type: "inventory.low_stock", data: { n: 3 } },
        ],
      },
      {
        name: "3 events without keys",
        operations: [],
        events: [
          { type: "a", data: { n: 1 } },
          { type: "b", data: { n: 2 } },
          { type: "c", data: { n: 3 } },
        ],
      },
    ];
    for (const { name, operations, events } of cases) {
      it(`leaves exactly the non-projection operations, in order, for ${name}`, () => {
        const ops = outboxOperations(operations, events, ids("r-1", "r-2", "r-3"));
        expect(ops.filter(isProjection)).to.have.length(events.length);
        expect(daprRemoveProjections(ops)).to.deep.equal(ops.filter((op) => !isProjection(op)));
      });
    }
  });
});
