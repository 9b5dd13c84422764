/**
 * Stock items and reservations in the inventory's state store. Every change
 * is made holding the locks of the keys it touches (locks.ts says why) and
 * committed with its events in one outbox transaction.
 */
import type { DomainEvent } from "../contracts/events.ts";
import type { KeyLocks } from "../kit/coordination/locks.ts";
import type { EventPublisher, OutboxEvent, OutboxStore, StateEntry, StateOperation } from "../kit/ports/ports.ts";
import { ListIndex } from "../kit/coordination/list-index.ts";
import { publishAgain } from "../contracts/events.ts";
import type { PaymentInstructionData } from "../contracts/events.ts";
import type { InventoryEvent, ItemInput, ReleaseReason, RequestedLine, Reservation, Settled, StockItem } from "./domain.ts";
import {
  cancelledBeforeReservation,
  commitReservation,
  decisionEvent,
  putItem,
  releaseReservation,
  reserveStock,
  restock,
  stockEvents,
} from "./domain.ts";

export const skuKey = (sku: string) => `sku:${sku}`;
export const reservationKey = (orderId: string) => `reservation:${orderId}`;

export interface InventoryOptions {
  reservationTtlSeconds: number;
  currency: string;
  now: () => Date;
  /** Says a decision again when an order asks twice (see reserve). */
  publisher: EventPublisher;
}

/** What a reservation attempt came to: a new decision, or the earlier one (said again when it has something to say). */
export type ReserveResult = "reserved" | "rejected" | "already-decided";

function upsert(entry: { key: string; etag?: string } | undefined, key: string, value: unknown): StateOperation {
  return entry?.etag ? { operation: "upsert", key, value, etag: entry.etag } : { operation: "upsert", key, value };
}

/** The key whose write an event announces (the outbox publishes one event per upsert); alerts announce none. */
function announcedKey(event: InventoryEvent): string | undefined {
  switch (event.type) {
    case "inventory.stock_changed":
      return skuKey(event.data.sku);
    case "inventory.low_stock":
      return undefined;
    default:
      return reservationKey(event.data.order_id);
  }
}

export class Inventory {
  readonly #store: OutboxStore<DomainEvent>;
  readonly #locks: KeyLocks;
  readonly #index: ListIndex;
  readonly #options: InventoryOptions;

  constructor(store: OutboxStore<DomainEvent>, locks: KeyLocks, options: InventoryOptions) {
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
      await this.#commit([current], [item], [], stockEvents(current?.value, item));
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
      await this.#commit([current], [item], [], stockEvents(current.value, item));
      return item;
    });
  }

  /**
   * Reserves every line of the order or none, once per order: a reservation
   * that exists (or the tombstone of a cancelled order) is never made again.
   * An order that asks again (its order.created re-announced because it saw
   * no answer) gets the earlier decision said again, straight to the topic:
   * re-announced, never re-decided.
   */
  async reserve(orderId: string, lines: RequestedLine[], payment?: PaymentInstructionData): Promise<ReserveResult> {
    const resKey = reservationKey(orderId);
    const keys = [...new Set(lines.map((l) => skuKey(l.sku)))];
    const decided = await this.#locks.withLocks([resKey, ...keys], async () => {
      const existing = await this.#store.get<Reservation>(resKey);
      if (existing) return existing.value;
      const entries = await this.#store.getMany<StockItem>(keys);
      const items = new Map(entries.map((e) => [e.value.sku, e.value]));
      const { reservationTtlSeconds, currency } = this.#options;
      const outcome = reserveStock(orderId, lines, items, this.#options.now(), reservationTtlSeconds, currency, payment);
      const changed = outcome.kind === "reserved" ? outcome.items : [];
      await this.#commit(entries, changed, [upsert(undefined, resKey, outcome.reservation)], outcome.events);
      return outcome.kind;
    });
    if (typeof decided === "string") return decided;
    const again = decisionEvent(decided, payment);
    if (again) await publishAgain(this.#options.publisher, again);
    return "already-decided";
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
        await this.#commitSettled(entries, current, released);
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
        await this.#commitSettled(entries, current, committed);
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

  async #commitSettled(entries: StateEntry<StockItem>[], current: StateEntry<Reservation>, settled: Settled): Promise<void> {
    await this.#commit(entries, settled.items, [upsert(current, current.key, settled.reservation)], settled.events);
  }

  /**
   * Commits changed items with `operations` and the events the domain
   * decided, in one transaction; each event announces the key it describes.
   */
  async #commit(
    before: Array<StateEntry<StockItem> | undefined>,
    items: StockItem[],
    operations: StateOperation[],
    events: InventoryEvent[],
  ): Promise<void> {
    const previous = new Map(before.filter((e) => e !== undefined).map((e) => [e.value.sku, e]));
    const ops = [...operations, ...items.map((item) => upsert(previous.get(item.sku), skuKey(item.sku), item))];
    const announced: OutboxEvent<DomainEvent>[] = events.map((event) => ({ ...event, key: announcedKey(event) }));
    await this.#store.commit(ops, announced);
  }
}
