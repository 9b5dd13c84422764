/**
 * Stock items and reservations in the inventory's state store. Every change
 * is made holding the locks of the keys it touches (locks.ts says why) and
 * committed with its events in one outbox transaction.
 */
import type { KeyLocks } from "../kit/coordination/locks.ts";
import type { OutboxEvent, OutboxStore, StateEntry, StateOperation } from "../kit/ports/ports.ts";
import { ListIndex } from "../kit/coordination/list-index.ts";
import type { ItemInput, ReleaseReason, RequestedLine, Reservation, StockItem } from "./domain.ts";
import {
  cancelledBeforeReservation,
  commitReservation,
  fellBelowThreshold,
  lowStock,
  putItem,
  releaseReservation,
  reserveStock,
  restock,
  stockChanged,
} from "./domain.ts";

export const skuKey = (sku: string) => `sku:${sku}`;
export const reservationKey = (orderId: string) => `reservation:${orderId}`;

export interface InventoryOptions {
  reservationTtlSeconds: number;
  currency: string;
  now: () => Date;
}

/** What a reservation attempt came to. */
export type ReserveResult = "reserved" | "rejected" | "already-decided";

function upsert(entry: { key: string; etag?: string } | undefined, key: string, value: unknown): StateOperation {
  return entry?.etag ? { operation: "upsert", key, value, etag: entry.etag } : { operation: "upsert", key, value };
}

export class Inventory {
  readonly #store: OutboxStore;
  readonly #locks: KeyLocks;
  readonly #index: ListIndex;
  readonly #options: InventoryOptions;

  constructor(store: OutboxStore, locks: KeyLocks, options: InventoryOptions) {
    this.#store = store;
    this.#locks = locks;
    this.#index = new ListIndex(store, locks, "skus");
    this.#options = options;
  }

  async item(sku: string): Promise<StockItem | undefined> {
    return (await this.#store.get<StockItem>(skuKey(sku)))?.value;
  }

  async reservation(orderId: string): Promise<Reservation | undefined> {
    return (await this.#store.get<Reservation>(reservationKey(orderId)))?.value;
  }

  /** Items in the order they were first created, newest first. */
  async list(offset: number, limit: number): Promise<{ items: StockItem[]; total: number }> {
    const page = await this.#index.page("all", offset, limit);
    const items = await this.#store.getMany<StockItem>(page.ids.map(skuKey));
    return { items: items.map((e) => e.value), total: page.total };
  }

  /** Creates or replaces an item (StockRuleError if on_hand is below what is reserved). */
  async put(sku: string, input: ItemInput): Promise<StockItem> {
    const key = skuKey(sku);
    // Listed first: a listed SKU whose write failed is skipped when read.
    await this.#index.place(sku, "all");
    return this.#locks.withLocks([key], async () => {
      const current = await this.#store.get<StockItem>(key);
      const item = putItem(sku, input, current?.value, this.#options.currency, this.#options.now());
      await this.#commitItems([current], [item]);
      return item;
    });
  }

  /** Adds stock on hand; undefined for an unknown SKU. */
  async restock(sku: string, quantity: number): Promise<StockItem | undefined> {
    const key = skuKey(sku);
    return this.#locks.withLocks([key], async () => {
      const current = await this.#store.get<StockItem>(key);
      if (!current) return undefined;
      const item = restock(current.value, quantity, this.#options.now());
      await this.#commitItems([current], [item]);
      return item;
    });
  }

  /**
   * Reserves every line of the order or none, once per order: a reservation
   * that exists (or the tombstone of a cancelled order) is never made again.
   */
  async reserve(orderId: string, lines: RequestedLine[], payment: unknown): Promise<ReserveResult> {
    const resKey = reservationKey(orderId);
    const keys = [...new Set(lines.map((l) => skuKey(l.sku)))];
    return this.#locks.withLocks([resKey, ...keys], async () => {
      if (await this.#store.get<Reservation>(resKey)) return "already-decided";
      const entries = await this.#store.getMany<StockItem>(keys);
      const items = new Map(entries.map((e) => [e.value.sku, e.value]));
      const now = this.#options.now();
      const outcome = reserveStock(orderId, lines, items, now, this.#options.reservationTtlSeconds, this.#options.currency);
      if (outcome.kind === "rejected") {
        const { reservation } = outcome;
        await this.#store.commit(
          [upsert(undefined, resKey, reservation)],
          [{ key: resKey, type: "inventory.rejected", data: { order_id: orderId, reason: reservation.reason, skus: reservation.rejected_skus } }],
        );
        return "rejected";
      }
      const { reservation } = outcome;
      const reserved: OutboxEvent = {
        key: resKey,
        type: "inventory.reserved",
        data: {
          order_id: orderId,
          lines: reservation.lines,
          total_amount: reservation.total_amount,
          currency: reservation.currency,
          expires_at: reservation.expires_at,
          // Passed through from order.created, so that payment needs no second event.
          payment,
        },
      };
      await this.#commitItems(entries, outcome.items, [upsert(undefined, resKey, reservation)], [reserved]);
      return "reserved";
    });
  }

  /**
   * Gives back what the order holds. An order with no reservation yet gets a
   * tombstone, so that a late order.created reserves nothing.
   */
  async release(orderId: string, reason: ReleaseReason): Promise<"released" | "nothing-held"> {
    return this.#changeReservation(orderId, async (current) => {
      if (!current) {
        await this.#store.save(reservationKey(orderId), cancelledBeforeReservation(orderId, this.#options.currency, this.#options.now()), {
          onlyIfAbsent: true,
        });
        return "nothing-held";
      }
      return this.#withItems(current.value, async (entries, items) => {
        const released = releaseReservation(current.value, items, reason, this.#options.now());
        if (!released) return "nothing-held";
        const event: OutboxEvent = {
          key: current.key,
          type: "inventory.released",
          data: { order_id: orderId, reason, lines: current.value.lines },
        };
        await this.#commitItems(entries, released.items, [upsert(current, current.key, released.reservation)], [event]);
        return "released";
      });
    });
  }

  /** The parcel was picked up: reserved stock leaves on-hand stock. */
  async commitShipped(orderId: string): Promise<"committed" | "nothing-held"> {
    return this.#changeReservation(orderId, async (current) => {
      if (!current) return "nothing-held";
      return this.#withItems(current.value, async (entries, items) => {
        const committed = commitReservation(current.value, items, this.#options.now());
        if (!committed) return "nothing-held";
        const event: OutboxEvent = { key: current.key, type: "inventory.committed", data: { order_id: orderId, lines: current.value.lines } };
        await this.#commitItems(entries, committed.items, [upsert(current, current.key, committed.reservation)], [event]);
        return "committed";
      });
    });
  }

  async #changeReservation<T>(orderId: string, change: (current: StateEntry<Reservation> | undefined) => Promise<T>): Promise<T> {
    const key = reservationKey(orderId);
    return this.#locks.withLocks([key], async () => change(await this.#store.get<Reservation>(key)));
  }

  /** Runs `work` holding the locks of the reservation's items, with their current state. */
  async #withItems<T>(
    reservation: Reservation,
    work: (entries: StateEntry<StockItem>[], items: Map<string, StockItem>) => Promise<T>,
  ): Promise<T> {
    const keys = reservation.lines.map((l) => skuKey(l.sku));
    return this.#locks.withLocks(keys, async () => {
      const entries = await this.#store.getMany<StockItem>(keys);
      return work(entries, new Map(entries.map((e) => [e.value.sku, e.value])));
    });
  }

  /**
   * Commits changed items (each announced by inventory.stock_changed, and by
   * inventory.low_stock when it fell below its threshold) with `operations`
   * and `events`, in one transaction.
   */
  async #commitItems(
    before: Array<StateEntry<StockItem> | undefined>,
    items: StockItem[],
    operations: StateOperation[] = [],
    events: OutboxEvent[] = [],
  ): Promise<void> {
    const previous = new Map(before.filter((e) => e !== undefined).map((e) => [e.value.sku, e]));
    const ops = [...operations];
    const announced = [...events];
    for (const item of items) {
      const entry = previous.get(item.sku);
      const key = skuKey(item.sku);
      ops.push(upsert(entry, key, item));
      announced.push({ key, type: "inventory.stock_changed", data: stockChanged(item) });
      if (fellBelowThreshold(entry?.value, item)) announced.push({ type: "inventory.low_stock", data: lowStock(item) });
    }
    await this.#store.commit(ops, announced);
  }
}
