import { expect } from "chai";
import { KeyLocks } from "../../../services/kit/coordination/locks.ts";
import { ListIndex } from "../../../services/kit/coordination/list-index.ts";
import { FakeStateStore } from "../../support/fakes.ts";

function setup(blockSize = 3) {
  const store = new FakeStateStore();
  const index = new ListIndex(store, new KeyLocks(store), "things", { blockSize });
  return { store, index };
}

/** Places `count` ids id-1 … id-count in `list`, in that order. */
async function fill(index: ListIndex, list: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `id-${i + 1}`);
  for (const id of ids) await index.place(id, list);
  return ids;
}

/** The keys a list index keeps, without the locks (which are gone once it is idle). */
function keys(store: FakeStateStore): string[] {
  return [...store.data.keys()].sort();
}

describe("ListIndex", () => {
  it("lists placed ids newest first with their total", async () => {
    const { index } = setup();
    await fill(index, "all", 2);
    expect(await index.page("all", 0, 10)).to.deep.equal({ ids: ["id-2", "id-1"], total: 2 });
  });

  it("gives an empty page for a list that was never written", async () => {
    const { index } = setup();
    expect(await index.page("nothing", 0, 10)).to.deep.equal({ ids: [], total: 0 });
  });

  it("moves an id from one list to another", async () => {
    const { index } = setup();
    await fill(index, "pending", 3);
    await index.place("id-2", "shipped");
    expect(await index.page("pending", 0, 10)).to.deep.equal({ ids: ["id-3", "id-1"], total: 2 });
    expect(await index.page("shipped", 0, 10)).to.deep.equal({ ids: ["id-2"], total: 1 });
  });

  it("takes an id out of every list when placed in no list, and forgets its entry", async () => {
    const { store, index } = setup();
    await fill(index, "all", 2);
    await index.place("id-1", undefined);
    expect(await index.page("all", 0, 10)).to.deep.equal({ ids: ["id-2"], total: 1 });
    expect(store.data.has("things-entry:id-1")).to.equal(false);
  });

  it("changes nothing when a placement is repeated", async () => {
    const { store, index } = setup();
    await fill(index, "all", 4);
    const writes = store.writes;
    const before = structuredClone([...store.data]);
    await index.place("id-2", "all");
    await index.place("id-4", "all");
    expect(await index.page("all", 0, 10)).to.deep.equal({ ids: ["id-4", "id-3", "id-2", "id-1"], total: 4 });
    // The only writes are the locks' own, which are deleted again.
    expect([...store.data]).to.deep.equal(before);
    expect(store.writes - writes).to.equal(2);
  });

  it("does nothing when an id in no list is placed in no list", async () => {
    const { store, index } = setup();
    await index.place("ghost", undefined);
    expect(keys(store)).to.deep.equal([]);
  });

  it("adds an id moved back to a list as its newest", async () => {
    const { index } = setup();
    await fill(index, "a", 3);
    await index.place("id-1", "b");
    await index.place("id-1", "a");
    expect(await index.page("a", 0, 10)).to.deep.equal({ ids: ["id-1", "id-3", "id-2"], total: 3 });
  });

  it("fills blocks of blockSize ids before starting a new one", async () => {
    const { store, index } = setup(3);
    await fill(index, "all", 7);
    expect(keys(store).filter((k) => k.startsWith("things:all:"))).to.deep.equal(["things:all:0", "things:all:1", "things:all:2"]);
    expect((await store.get<{ ids: string[] }>("things:all:1"))!.value.ids).to.deep.equal(["id-4", "id-5", "id-6"]);
  });

  describe("paging across blocks of 3", () => {
    // 10 ids in blocks [1,2,3] [4,5,6] [7,8,9] [10]; newest first: 10, 9, …, 1.
    const newestFirst = Array.from({ length: 10 }, (_, i) => `id-${10 - i}`);
    const cases: Array<[offset: number, limit: number]> = [
      [0, 10],
      [0, 1],
      [0, 4],
      [1, 3],
      [1, 5],
      [2, 2],
      [3, 4],
      [4, 3],
      [5, 100],
      [9, 5],
      [10, 5],
      [15, 5],
      [0, 0],
    ];
    for (const [offset, limit] of cases) {
      it(`gives ids ${offset} to ${offset + limit} and the total 10 for offset ${offset}, limit ${limit}`, async () => {
        const { index } = setup(3);
        await fill(index, "all", 10);
        expect(await index.page("all", offset, limit)).to.deep.equal({ ids: newestFirst.slice(offset, offset + limit), total: 10 });
      });
    }
  });

  it("pages exactly after ids were taken out of several blocks", async () => {
    const { index } = setup(3);
    await fill(index, "all", 10);
    for (const id of ["id-2", "id-5", "id-9"]) await index.place(id, "elsewhere");
    const remaining = ["id-10", "id-8", "id-7", "id-6", "id-4", "id-3", "id-1"];
    for (let offset = 0; offset <= remaining.length; offset++) {
      for (const limit of [1, 2, 3, 4]) {
        expect(await index.page("all", offset, limit), `offset ${offset}, limit ${limit}`).to.deep.equal({
          ids: remaining.slice(offset, offset + limit),
          total: 7,
        });
      }
    }
  });

  it("drops a block in the middle once it is empty, and pages across the gap", async () => {
    const { store, index } = setup(3);
    await fill(index, "all", 9);
    for (const id of ["id-4", "id-5", "id-6"]) await index.place(id, undefined);
    expect(store.data.has("things:all:1")).to.equal(false);
    const head = (await store.get<{ blocks: Array<{ n: number; count: number }> }>("things:all"))!.value;
    expect(head.blocks).to.deep.equal([{ n: 0, count: 3 }, { n: 2, count: 3 }]);
    expect(await index.page("all", 2, 2)).to.deep.equal({ ids: ["id-7", "id-3"], total: 6 });
    expect(await index.page("all", 0, 10)).to.deep.equal({ ids: ["id-9", "id-8", "id-7", "id-3", "id-2", "id-1"], total: 6 });
  });

  it("keeps the newest block when it empties and fills it again", async () => {
    const { store, index } = setup(3);
    await fill(index, "all", 4);
    await index.place("id-4", undefined);
    expect(await index.page("all", 0, 10)).to.deep.equal({ ids: ["id-3", "id-2", "id-1"], total: 3 });
    await index.place("id-5", "all");
    const head = (await store.get<{ blocks: Array<{ n: number; count: number }> }>("things:all"))!.value;
    expect(head.blocks).to.deep.equal([{ n: 0, count: 3 }, { n: 1, count: 1 }]);
    expect(await index.page("all", 0, 10)).to.deep.equal({ ids: ["id-5", "id-3", "id-2", "id-1"], total: 4 });
  });

  it("keeps every id when many are placed concurrently in one list", async () => {
    const { index } = setup(3);
    const ids = Array.from({ length: 8 }, (_, i) => `c-${i}`);
    await Promise.all(ids.map((id) => index.place(id, "all")));
    const page = await index.page("all", 0, 100);
    expect(page.total).to.equal(8);
    expect([...page.ids].sort()).to.deep.equal([...ids].sort());
  });

  describe("group commits", () => {
    /** Lock writes of the index (the one per flush), told apart from the list's own. */
    function lockWrites(store: FakeStateStore): () => number {
      let count = 0;
      const save = store.save.bind(store);
      store.save = async (key, value, options) => {
        if (key === "lock:things") count++;
        return save(key, value, options);
      };
      return () => count;
    }

    it("applies placements that arrive during a flush together in the next one", async () => {
      const { store, index } = setup(500);
      const flushes = lockWrites(store);
      const ids = Array.from({ length: 100 }, (_, i) => `c-${i}`);
      await Promise.all(ids.map((id) => index.place(id, "all")));
      expect(flushes()).to.equal(1);
      expect(await index.page("all", 0, 200)).to.deep.equal({ ids: [...ids].reverse(), total: 100 });
      // And while one flush runs, the next batch gathers.
      const more = Array.from({ length: 50 }, (_, i) => `d-${i}`);
      const first = index.place("d-first", "all");
      await Promise.resolve();
      await Promise.all([first, ...more.map((id) => index.place(id, "all"))]);
      expect(flushes()).to.equal(3);
      expect((await index.page("all", 0, 200)).total).to.equal(151);
    });

    it("keeps the latest placement of an id asked for twice in one batch", async () => {
      const { index } = setup();
      await fill(index, "a", 1);
      await Promise.all([index.place("id-2", "a"), index.place("id-3", "a"), index.place("id-2", "b")]);
      expect(await index.page("a", 0, 10)).to.deep.equal({ ids: ["id-3", "id-1"], total: 2 });
      expect(await index.page("b", 0, 10)).to.deep.equal({ ids: ["id-2"], total: 1 });
    });

    it("places a refreshed id where its state says it belongs when the flush runs", async () => {
      const store = new FakeStateStore();
      const statuses = new Map([["o-1", "pending"], ["o-2", "pending"]]);
      const index = new ListIndex(store, new KeyLocks(store), "things", { current: async (ids) => new Map(ids.map((id) => [id, statuses.get(id)])) });
      await Promise.all([index.refresh("o-1"), index.refresh("o-2")]);
      statuses.set("o-1", "confirmed");
      statuses.delete("o-2");
      await Promise.all([index.refresh("o-1"), index.refresh("o-2")]);
      expect(await index.page("pending", 0, 10)).to.deep.equal({ ids: [], total: 0 });
      expect(await index.page("confirmed", 0, 10)).to.deep.equal({ ids: ["o-1"], total: 1 });
      expect(store.data.has("things-entry:o-2")).to.equal(false);
    });

    it("rejects every placement of a flush that failed, changes nothing, and flushes later ones", async () => {
      const { store, index } = setup();
      await fill(index, "all", 2);
      const before = structuredClone([...store.data]);
      store.failNextWrite = new Error("store down");
      const failed = await Promise.allSettled([index.place("id-3", "all"), index.place("id-4", "all")]);
      expect(failed.map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);
      expect([...store.data]).to.deep.equal(before);
      await index.place("id-3", "all");
      expect(await index.page("all", 0, 10)).to.deep.equal({ ids: ["id-3", "id-2", "id-1"], total: 3 });
    });
  });
});
