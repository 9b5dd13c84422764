/**
 * How order listing behaves as the number of orders grows: the list index
 * (services/kit/list-index.ts) against the baseline of one document holding
 * every id, measured in the same run on an in-memory store that counts what
 * each page read costs (store calls and bytes read). The figures are about
 * the data structure, not a store's speed.
 *
 *   npm run bench:listing [-- sizes...]     (default: 10000 100000 1000000)
 */
import process from "node:process";
import { KeyLocks } from "../services/kit/coordination/locks.ts";
import { ListIndex } from "../services/kit/coordination/list-index.ts";
import { FakeStateStore } from "../tests/support/fakes.ts";

/** The fake store, counting reads and the bytes they return. */
class CountingStore extends FakeStateStore {
  calls = 0;
  bytes = 0;
  #inner = false;
  override async getMany<T>(keys: string[]) {
    // The fake's getMany reads through get: count the call once.
    this.#inner = true;
    const found = await super.getMany<T>(keys).finally(() => (this.#inner = false));
    this.calls += 1;
    for (const entry of found) this.bytes += JSON.stringify(entry.value).length;
    return found;
  }
  override async get<T>(key: string) {
    const entry = await super.get<T>(key);
    if (!this.#inner) {
      this.calls += 1;
      if (entry) this.bytes += JSON.stringify(entry.value).length;
    }
    return entry;
  }
  reset() {
    this.calls = 0;
    this.bytes = 0;
  }
}

const PAGE_SIZE = 10;
/** An order id shaped like the real ones (a UUID). */
const uuid = (i: number) => `${String(i).padStart(8, "0")}-0000-4000-8000-000000000000`;
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);

async function measure(size: number): Promise<void> {
  const store = new CountingStore();
  // No contention in a single writer: no waiting needed.
  const index = new ListIndex(store, new KeyLocks(store, { waitMs: 0 }), "orders-all");
  const started = performance.now();
  for (let i = 0; i < size; i++) await index.place(`${uuid(i)}`, "all");
  const fillSeconds = (performance.now() - started) / 1000;

  // Baseline: one document with every id, read whole for each page.
  const ids = Array.from({ length: size }, (_, i) => `${uuid(i)}`);
  await store.save("baseline", { ids });

  for (const [label, page] of [["first page", 1], ["middle page", Math.ceil(size / PAGE_SIZE / 2)], ["last page", Math.ceil(size / PAGE_SIZE)]] as const) {
    store.reset();
    const t0 = performance.now();
    const result = await index.page("all", (page - 1) * PAGE_SIZE, PAGE_SIZE);
    const indexMs = performance.now() - t0;
    const indexCost = { calls: store.calls, bytes: store.bytes };
    store.reset();
    const t1 = performance.now();
    const all = (await store.get<{ ids: string[] }>("baseline"))!.value.ids;
    const baselineIds = [...all].reverse().slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    const baselineMs = performance.now() - t1;
    if (JSON.stringify(baselineIds) !== JSON.stringify(result.ids)) throw new Error(`pages differ at ${size}, page ${page}`);
    console.log(
      `${String(size).padStart(9)} orders, ${label.padEnd(11)}: index ${indexCost.calls} reads, ${(indexCost.bytes / 1024).toFixed(1).padStart(8)} KB, ${indexMs.toFixed(2).padStart(7)} ms` +
        ` | baseline (one document) ${store.calls} read, ${(store.bytes / 1024).toFixed(1).padStart(9)} KB, ${baselineMs.toFixed(2).padStart(7)} ms`,
    );
  }
  const head = await store.get<{ blocks: unknown[] }>("orders-all:all");
  console.log(`${String(size).padStart(9)} orders: head ${head!.value.blocks.length} blocks, ${(JSON.stringify(head!.value).length / 1024).toFixed(1)} KB; filled in ${fillSeconds.toFixed(1)} s (${Math.round(size / fillSeconds)} placements/s in memory)`);
}

for (const size of sizes.length > 0 ? sizes : [10_000, 100_000, 1_000_000]) await measure(size);
