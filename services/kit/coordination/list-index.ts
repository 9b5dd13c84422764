/**
 * Paged lists of ids kept in plain key-value state, so that listing works on
 * every state store (Dapr's query API exists for a few stores only).
 *
 * A list is a head document holding its blocks' sizes, and blocks of up to
 * `blockSize` ids in the order they joined; each id has an entry naming the
 * list and block it is in. Reading a page costs the head plus the one or two
 * blocks that hold it.
 *
 * Writes are group commits: placements that arrive while a flush is under way
 * wait for the next one, which applies all of them under one lock of the
 * whole index (the lock is what keeps replicas of a service from writing the
 * same head at once). A flush costs about the same number of store round
 * trips for one placement as for hundreds, so placements no longer queue one
 * behind another on a list's head: under load, batches grow instead.
 * A placement resolves once its flush is written, and rejects if it failed.
 */
import type { KeyLocks } from "./locks.ts";
import type { StateStore } from "../ports/ports.ts";

interface Head {
  list: string;
  /** The list's blocks, oldest first, with the number of ids in each. */
  blocks: Array<{ n: number; count: number }>;
  next: number;
}

interface Block {
  ids: string[];
}

interface Entry {
  list: string;
  block: number;
}

export interface Page {
  /** Newest first. */
  ids: string[];
  total: number;
}

/** Where ids belong now, for ids placed with refresh(): undefined takes an id out of every list. */
export type CurrentLists = (ids: string[]) => Promise<Map<string, string | undefined>>;

export interface ListIndexOptions {
  blockSize?: number;
  /** The most placements one flush applies. */
  maxBatch?: number;
  /** Where refresh() looks up each id's list, at flush time and under the index's lock. */
  current?: CurrentLists;
}

/** What a flush is asked to do for an id: a list (or none), or "look it up". */
type Wanted = { list: string | undefined } | { refresh: true };

interface Pending {
  wanted: Wanted;
  waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }>;
}

export class ListIndex {
  readonly #store: StateStore;
  readonly #locks: KeyLocks;
  readonly #name: string;
  readonly #blockSize: number;
  readonly #maxBatch: number;
  readonly #current: CurrentLists | undefined;
  #pending = new Map<string, Pending>();
  #flushing: Promise<void> | undefined;

  constructor(store: StateStore, locks: KeyLocks, name: string, options: ListIndexOptions = {}) {
    this.#store = store;
    this.#locks = locks;
    this.#name = name;
    this.#blockSize = options.blockSize ?? 500;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#current = options.current;
  }

  #headKey(list: string) {
    return `${this.#name}:${list}`;
  }
  #blockKey(list: string, n: number) {
    return `${this.#name}:${list}:${n}`;
  }
  #entryKey(id: string) {
    return `${this.#name}-entry:${id}`;
  }

  /**
   * Puts `id` in `list`, taking it out of the list it was in; with no list,
   * takes it out of every list. Repeating a placement changes nothing.
   */
  place(id: string, list: string | undefined): Promise<void> {
    return this.#enqueue(id, { list });
  }

  /**
   * Puts `id` where the `current` option says it belongs when the flush runs,
   * so that placements racing each other end with the id's latest list.
   */
  refresh(id: string): Promise<void> {
    if (!this.#current) throw new Error(`list index ${this.#name} has no way to look up where ids belong`);
    return this.#enqueue(id, { refresh: true });
  }

  /** Ids `offset` to `offset + limit` of `list`, newest first, and how many it holds. */
  async page(list: string, offset: number, limit: number): Promise<Page> {
    const head = (await this.#store.get<Head>(this.#headKey(list)))?.value;
    if (!head) return { ids: [], total: 0 };
    const total = head.blocks.reduce((sum, b) => sum + b.count, 0);
    // Walk the blocks newest first, skipping whole blocks before the page.
    const wanted: Array<{ n: number; skip: number }> = [];
    let skip = offset;
    let needed = limit;
    for (let i = head.blocks.length - 1; i >= 0 && needed > 0; i--) {
      const { n, count } = head.blocks[i]!;
      if (skip >= count) {
        skip -= count;
        continue;
      }
      wanted.push({ n, skip });
      needed -= count - skip;
      skip = 0;
    }
    const blocks = await this.#store.getMany<Block>(wanted.map((w) => this.#blockKey(list, w.n)));
    const byKey = new Map(blocks.map((b) => [b.key, b.value]));
    const ids: string[] = [];
    for (const w of wanted) {
      const block = byKey.get(this.#blockKey(list, w.n));
      if (block) ids.push(...[...block.ids].reverse().slice(w.skip));
    }
    return { ids: ids.slice(0, limit), total };
  }

  /** How many ids each of `lists` holds (one read of their heads). */
  async totals(lists: string[]): Promise<Map<string, number>> {
    const heads = await this.#store.getMany<Head>(lists.map((list) => this.#headKey(list)));
    const counted = new Map(heads.map((h) => [h.value.list, h.value.blocks.reduce((sum, b) => sum + b.count, 0)]));
    return new Map(lists.map((list) => [list, counted.get(list) ?? 0]));
  }

  #enqueue(id: string, wanted: Wanted): Promise<void> {
    return new Promise((resolve, reject) => {
      const pending = this.#pending.get(id);
      // The latest request for an id is the one that counts.
      if (pending) {
        pending.wanted = wanted;
        pending.waiters.push({ resolve, reject });
      } else {
        this.#pending.set(id, { wanted, waiters: [{ resolve, reject }] });
      }
      if (!this.#flushing) this.#flushing = this.#drain();
    });
  }

  /** Flushes until nothing is pending; one flush at a time per index instance. */
  async #drain(): Promise<void> {
    // Let the placements made in the same turn join the first flush.
    await Promise.resolve();
    try {
      while (this.#pending.size > 0) {
        const batch = new Map<string, Pending>();
        for (const [id, pending] of this.#pending) {
          if (batch.size >= this.#maxBatch) break;
          batch.set(id, pending);
        }
        for (const id of batch.keys()) this.#pending.delete(id);
        try {
          await this.#locks.withLocks([this.#name], () => this.#apply(batch));
          for (const pending of batch.values()) for (const waiter of pending.waiters) waiter.resolve();
        } catch (err) {
          for (const pending of batch.values()) for (const waiter of pending.waiters) waiter.reject(err);
        }
      }
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Applies a batch of placements (the caller holds the index's lock). */
  async #apply(batch: Map<string, Pending>): Promise<void> {
    const ids = [...batch.keys()];
    const refreshed = ids.filter((id) => "refresh" in batch.get(id)!.wanted);
    const current = refreshed.length > 0 ? await this.#current!(refreshed) : new Map<string, string | undefined>();
    const target = (id: string): string | undefined => {
      const wanted = batch.get(id)!.wanted;
      return "refresh" in wanted ? current.get(id) : wanted.list;
    };
    const entries = new Map((await this.#store.getMany<Entry>(ids.map((id) => this.#entryKey(id)))).map((e) => [e.key, e.value]));
    const moves = ids
      .map((id) => ({ id, from: entries.get(this.#entryKey(id)), to: target(id) }))
      .filter((move) => move.from?.list !== move.to);
    if (moves.length === 0) return;

    // Read every head the moves touch, and the blocks they take ids out of
    // and add ids to (each list's newest block).
    const lists = [...new Set(moves.flatMap((m) => [m.from?.list, m.to]).filter((l): l is string => l !== undefined))];
    const heads = new Map<string, Head>(lists.map((list) => [list, { list, blocks: [], next: 0 }]));
    for (const entry of await this.#store.getMany<Head>(lists.map((l) => this.#headKey(l)))) heads.set(entry.value.list, entry.value);
    const blockKeys = new Set<string>();
    for (const move of moves) if (move.from) blockKeys.add(this.#blockKey(move.from.list, move.from.block));
    for (const head of heads.values()) {
      const last = head.blocks.at(-1);
      if (last) blockKeys.add(this.#blockKey(head.list, last.n));
    }
    const blocks = new Map<string, Block>((await this.#store.getMany<Block>([...blockKeys])).map((b) => [b.key, b.value]));
    const changedBlocks = new Set<string>();
    const block = (list: string, n: number): Block => {
      const key = this.#blockKey(list, n);
      let found = blocks.get(key);
      if (!found) blocks.set(key, (found = { ids: [] }));
      return found;
    };

    const newEntries = new Map<string, Entry | undefined>();
    for (const { id, from, to } of moves) {
      if (from && heads.has(from.list)) {
        const source = block(from.list, from.block);
        source.ids = source.ids.filter((other) => other !== id);
        changedBlocks.add(this.#blockKey(from.list, from.block));
      }
      if (to === undefined) {
        newEntries.set(id, undefined);
        continue;
      }
      const head = heads.get(to)!;
      let last = head.blocks.at(-1);
      let tail = last ? block(to, last.n) : undefined;
      // An earlier flush that died before writing the entry may have added it.
      if (!last || !tail || (tail.ids.length >= this.#blockSize && !tail.ids.includes(id))) {
        last = { n: head.next, count: 0 };
        head.blocks.push(last);
        head.next += 1;
        tail = block(to, last.n);
      }
      if (!tail.ids.includes(id)) tail.ids.push(id);
      changedBlocks.add(this.#blockKey(to, last.n));
      newEntries.set(id, { list: to, block: last.n });
    }

    // Head counts follow their blocks; an emptied block that is not its
    // list's newest is dropped.
    const deletes: string[] = [];
    for (const head of heads.values()) {
      const newest = head.blocks.at(-1)?.n;
      head.blocks = head.blocks.flatMap((meta) => {
        const key = this.#blockKey(head.list, meta.n);
        if (!changedBlocks.has(key)) return [meta];
        const count = blocks.get(key)?.ids.length ?? 0;
        if (count === 0 && meta.n !== newest) {
          changedBlocks.delete(key);
          deletes.push(key);
          return [];
        }
        return [{ n: meta.n, count }];
      });
    }

    // Blocks and heads first, entries last: an entry never names a block
    // that does not hold its id yet, and a flush that dies in between is
    // repaired by the next placement of the same id.
    await Promise.all([
      ...[...changedBlocks].map((key) => this.#store.save(key, blocks.get(key)!)),
      ...deletes.map((key) => this.#store.delete(key)),
      ...[...heads.values()].map((head) => this.#store.save(this.#headKey(head.list), head)),
    ]);
    await Promise.all(
      [...newEntries].map(([id, entry]) => (entry ? this.#store.save(this.#entryKey(id), entry) : this.#store.delete(this.#entryKey(id)))),
    );
  }
}
