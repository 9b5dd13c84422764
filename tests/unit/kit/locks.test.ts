import { expect } from "chai";
import { KeyLocks, LockBusyError } from "../../../services/kit/coordination/locks.ts";
import { FakeStateStore } from "../../support/fakes.ts";

const tick = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A clock that only moves when the locks sleep. */
function fakeClock(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
    advance: (ms: number) => {
      now += ms;
    },
    sleeps,
  };
}

describe("KeyLocks", () => {
  it("runs the work and returns its result", async () => {
    const locks = new KeyLocks(new FakeStateStore());
    expect(await locks.withLocks(["k"], async () => 42)).to.equal(42);
  });

  it("holds the lock key while the work runs and deletes it after", async () => {
    const store = new FakeStateStore();
    const locks = new KeyLocks(store);
    let during: unknown;
    await locks.withLocks(["k"], async () => {
      during = store.data.has("lock:k");
    });
    expect(during).to.equal(true);
    expect(store.data.has("lock:k")).to.equal(false);
  });

  it("lets concurrent holders of one key run one after the other, never interleaved", async () => {
    const store = new FakeStateStore();
    const locks = new KeyLocks(store, { waitMs: 5_000 });
    const trace: string[] = [];
    await Promise.all(
      ["a", "b", "c"].map((name) =>
        locks.withLocks(["k"], async () => {
          trace.push(`${name}+`);
          await tick(15);
          trace.push(`${name}-`);
        }),
      ),
    );
    expect(trace).to.have.length(6);
    for (let i = 0; i < trace.length; i += 2) {
      expect(trace[i]!.endsWith("+"), trace.join(" ")).to.equal(true);
      expect(trace[i + 1], trace.join(" ")).to.equal(`${trace[i]!.slice(0, -1)}-`);
    }
  });

  it("lets holders of different keys run at the same time", async () => {
    const locks = new KeyLocks(new FakeStateStore(), { waitMs: 0 });
    const trace: string[] = [];
    await Promise.all(
      ["x", "y"].map((key) =>
        locks.withLocks([key], async () => {
          trace.push(`${key}+`);
          await tick(5);
          trace.push(`${key}-`);
        }),
      ),
    );
    expect(trace).to.deep.equal(["x+", "y+", "x-", "y-"]);
  });

  it("throws LockBusyError naming the key once the wait is over and the lock still held", async () => {
    const store = new FakeStateStore();
    const clock = fakeClock();
    const holder = new KeyLocks(store, { now: clock.now });
    const waiter = new KeyLocks(store, { waitMs: 100, now: clock.now, sleep: clock.sleep });
    let failure: unknown;
    let ran = false;
    await holder.withLocks(["k"], async () => {
      failure = await waiter
        .withLocks(["k"], async () => {
          ran = true;
        })
        .catch((err: unknown) => err);
    });
    expect(failure).to.be.instanceOf(LockBusyError);
    expect((failure as LockBusyError).key).to.equal("k");
    expect(ran).to.equal(false);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).to.be.at.least(100);
  });

  it("throws LockBusyError after waitMs in real time", async () => {
    const store = new FakeStateStore();
    const holder = new KeyLocks(store);
    const waiter = new KeyLocks(store, { waitMs: 30 });
    let failure: unknown;
    await holder.withLocks(["k"], async () => {
      failure = await waiter.withLocks(["k"], async () => undefined).catch((err: unknown) => err);
    });
    expect(failure).to.be.instanceOf(LockBusyError);
  });

  it("leaves the other's lock in place when giving up", async () => {
    const store = new FakeStateStore();
    const clock = fakeClock();
    const holder = new KeyLocks(store, { now: clock.now });
    const waiter = new KeyLocks(store, { waitMs: 50, now: clock.now, sleep: clock.sleep });
    await holder.withLocks(["k"], async () => {
      await waiter.withLocks(["k"], async () => undefined).catch(() => undefined);
      expect(store.data.has("lock:k")).to.equal(true);
    });
  });

  it("takes over a lock whose lease ran out", async () => {
    const store = new FakeStateStore();
    const clock = fakeClock();
    await store.save("lock:k", { holder: "dead", held_until: clock.now() - 1 });
    const locks = new KeyLocks(store, { waitMs: 0, now: clock.now, sleep: clock.sleep });
    let holder: unknown;
    await locks.withLocks(["k"], async () => {
      holder = (await store.get<{ holder: string }>("lock:k"))!.value.holder;
    });
    expect(holder).to.not.equal("dead");
    expect(store.data.has("lock:k")).to.equal(false);
  });

  it("takes over the lock of a holder that outlived its lease", async () => {
    const store = new FakeStateStore();
    const clock = fakeClock();
    const slow = new KeyLocks(store, { leaseMs: 1_000, now: clock.now });
    const other = new KeyLocks(store, { waitMs: 0, now: clock.now, sleep: clock.sleep });
    let ran = false;
    await slow.withLocks(["k"], async () => {
      clock.advance(1_001);
      await other.withLocks(["k"], async () => {
        ran = true;
      });
    });
    expect(ran).to.equal(true);
  });

  it("leaves the lock of the writer that took it over when the slow holder finishes", async () => {
    const store = new FakeStateStore();
    const clock = fakeClock();
    const slow = new KeyLocks(store, { leaseMs: 1_000, now: clock.now });
    const other = new KeyLocks(store, { leaseMs: 1_000, waitMs: 0, now: clock.now, sleep: clock.sleep });
    let release!: () => void;
    let second!: Promise<void>;
    await slow.withLocks(["k"], async () => {
      clock.advance(1_001);
      let taken!: () => void;
      const tookOver = new Promise<void>((resolve) => (taken = resolve));
      second = other.withLocks(["k"], async () => {
        taken();
        await new Promise<void>((resolve) => (release = resolve));
      });
      await tookOver;
    });
    // The slow holder is done; the lock is the other writer's and stays.
    expect(store.data.has("lock:k")).to.equal(true);
    release();
    await second;
    expect(store.data.has("lock:k")).to.equal(false);
  });

  it("ends a young lock with one write and no read", async () => {
    const store = new FakeStateStore();
    let reads = 0;
    const get = store.get.bind(store);
    store.get = async (key) => {
      reads++;
      return get(key);
    };
    await new KeyLocks(store).withLocks(["k"], async () => undefined);
    expect(reads).to.equal(0);
    expect(store.writes).to.equal(1);
    expect(store.data.has("lock:k")).to.equal(false);
  });

  it("does not take over a lock whose lease has not run out", async () => {
    const store = new FakeStateStore();
    const clock = fakeClock();
    await store.save("lock:k", { holder: "alive", held_until: clock.now() + 10_000 });
    const locks = new KeyLocks(store, { waitMs: 100, now: clock.now, sleep: clock.sleep });
    const failure = await locks.withLocks(["k"], async () => undefined).catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(LockBusyError);
    expect((await store.get<{ holder: string }>("lock:k"))!.value.holder).to.equal("alive");
  });

  it("releases every lock when the work throws, and passes the error on", async () => {
    const store = new FakeStateStore();
    const locks = new KeyLocks(store);
    const boom = new Error("boom");
    const failure = await locks.withLocks(["a", "b"], async () => {
      throw boom;
    }).catch((err: unknown) => err);
    expect(failure).to.equal(boom);
    expect([...store.data.keys()]).to.deep.equal([]);
    expect(await locks.withLocks(["a", "b"], async () => "again")).to.equal("again");
  });

  it("releases the locks already taken when a later one is busy", async () => {
    const store = new FakeStateStore();
    const clock = fakeClock();
    await store.save("lock:b", { holder: "alive", held_until: clock.now() + 10_000 });
    const locks = new KeyLocks(store, { waitMs: 10, now: clock.now, sleep: clock.sleep });
    const failure = await locks.withLocks(["b", "a"], async () => undefined).catch((err: unknown) => err);
    expect(failure).to.be.instanceOf(LockBusyError);
    expect([...store.data.keys()]).to.deep.equal(["lock:b"]);
  });

  it("takes a key listed twice only once", async () => {
    const locks = new KeyLocks(new FakeStateStore(), { waitMs: 0 });
    expect(await locks.withLocks(["k", "k"], async () => "ok")).to.equal("ok");
  });

  describe("writers in one process", () => {
    it("take a key one after another in the order they asked, without polling the store", async () => {
      const store = new FakeStateStore();
      const clock = fakeClock();
      const locks = new KeyLocks(store, { now: clock.now, sleep: clock.sleep });
      const order: number[] = [];
      await Promise.all(
        [1, 2, 3, 4, 5].map((n) =>
          locks.withLocks(["hot"], async () => {
            order.push(n);
            await tick(2);
          }),
        ),
      );
      expect(order).to.deep.equal([1, 2, 3, 4, 5]);
      // Nobody found the store's lock taken, so nobody slept.
      expect(clock.sleeps).to.deep.equal([]);
    });

    it("give up with LockBusyError after the wait, and those behind still get the key", async () => {
      const locks = new KeyLocks(new FakeStateStore(), { waitMs: 30 });
      let release!: () => void;
      const first = locks.withLocks(["hot"], () => new Promise<void>((resolve) => (release = resolve)));
      const second = locks.withLocks(["hot"], async () => "second").catch((e: unknown) => e);
      await tick(60);
      const third = locks.withLocks(["hot"], async () => "third");
      expect(await second).to.be.instanceOf(LockBusyError);
      release();
      await first;
      expect(await third).to.equal("third");
    });
  });
});
