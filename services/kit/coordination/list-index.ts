/**
 * Paged lists of ids kept in plain key-value state, so that listing works on
 * every state store (Dapr's query API exists for a few stores only).
 *
 * A list is a head document holding its blocks' sizes, and blocks of up to
 * `blockSize` ids in the order they joined; each id has an entry naming the
 * list and block it is in. Reading a page costs the head plus the one or two
 * blocks that hold it; moving an id between lists touches its entry, two
 * heads and two blocks. Writers of one list take turns through its head's
 * lock, which bounds how many ids per second one list can take.
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

export class ListIndex {
  readonly #store: StateStore;
  readonly #locks: KeyLocks;
  readonly #name: string;
  readonly #blockSize: number;

  constructor(store: StateStore, locks: KeyLocks, name: string, options: { blockSize?: number } = {}) {
    this.#store = store;
    this.#locks = locks;
    this.#name = name;
    this.#blockSize = options.blockSize ?? 500;
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
  async place(id: string, list: string | undefined): Promise<void> {
    const entryKey = this.#entryKey(id);
    await this.#locks.withLocks([entryKey], async () => {
      const entry = (await this.#store.get<Entry>(entryKey))?.value;
      if (entry?.list === list) return;
      const heads = [entry?.list, list].filter((l): l is string => l !== undefined).map((l) => this.#headKey(l));
      await this.#locks.withLocks(heads, async () => {
        if (entry) await this.#remove(id, entry);
        if (list === undefined) return this.#store.delete(entryKey);
        const block = await this.#add(id, list);
        await this.#store.save(entryKey, { list, block } satisfies Entry);
      });
    });
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

  async #add(id: string, list: string): Promise<number> {
    const headKey = this.#headKey(list);
    const head = (await this.#store.get<Head>(headKey))?.value ?? { list, blocks: [], next: 0 };
    let last = head.blocks.at(-1);
    let block: Block = last ? ((await this.#store.get<Block>(this.#blockKey(list, last.n)))?.value ?? { ids: [] }) : { ids: [] };
    if (!last || (block.ids.length >= this.#blockSize && !block.ids.includes(id))) {
      last = { n: head.next, count: 0 };
      head.blocks.push(last);
      head.next += 1;
      block = { ids: [] };
    }
    // An earlier attempt that died before writing the entry may have added it.
    if (!block.ids.includes(id)) block.ids.push(id);
    await this.#store.save(this.#blockKey(list, last.n), block);
    last.count = block.ids.length;
    await this.#store.save(headKey, head);
    return last.n;
  }

  async #remove(id: string, entry: Entry): Promise<void> {
    const headKey = this.#headKey(entry.list);
    const blockKey = this.#blockKey(entry.list, entry.block);
    const head = (await this.#store.get<Head>(headKey))?.value;
    const block = (await this.#store.get<Block>(blockKey))?.value;
    if (!head || !block) return;
    block.ids = block.ids.filter((other) => other !== id);
    const isLast = head.blocks.at(-1)?.n === entry.block;
    if (block.ids.length === 0 && !isLast) {
      await this.#store.delete(blockKey);
      head.blocks = head.blocks.filter((b) => b.n !== entry.block);
    } else {
      await this.#store.save(blockKey, block);
      const meta = head.blocks.find((b) => b.n === entry.block);
      if (meta) meta.count = block.ids.length;
    }
    await this.#store.save(headKey, head);
  }
}
