/**
 * Orders in the order service's state store. Every change is decided by the
 * domain while holding the order's lock and committed with its events in one
 * outbox transaction. Listing goes through two list indexes (all orders, and
 * orders by status) that the service keeps from its own events.
 */
import type { KeyLocks } from "../kit/coordination/locks.ts";
import { EtagMismatchError } from "../kit/ports/errors.ts";
import type { OutboxEvent, OutboxStore } from "../kit/ports/ports.ts";
import { ListIndex } from "../kit/coordination/list-index.ts";
import { ORDER_STATUSES } from "../contracts/api/orders.ts";
import type { OrderStatus } from "../contracts/api/orders.ts";
import type { DomainEvent } from "../contracts/events.ts";
import type { Decision, StoredOrder } from "./domain.ts";

/** How long an Idempotency-Key is remembered (24 hours, as clients expect). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export function orderKey(id: string): string {
  return `order:${id}`;
}

function idempotencyKey(key: string): string {
  return `idempotency:${key}`;
}

/** What an Idempotency-Key stands for: one request (by hash) and its order. */
export interface IdempotencyRecord {
  order_id: string;
  request_hash: string;
  created_at: string;
}

export class OrderStore {
  readonly #store: OutboxStore<DomainEvent>;
  readonly #locks: KeyLocks;
  readonly #all: ListIndex;
  readonly #byStatus: ListIndex;

  constructor(store: OutboxStore<DomainEvent>, locks: KeyLocks) {
    this.#store = store;
    this.#locks = locks;
    this.#all = new ListIndex(store, locks, "orders-all");
    // Each order's status list is looked up when the index is written, so
    // that events applied out of order still leave it in its latest status.
    this.#byStatus = new ListIndex(store, locks, "orders-by-status", {
      current: async (ids) => new Map((await this.findMany(ids)).map((order) => [order.id, order.status])),
    });
  }

  async find(id: string): Promise<StoredOrder | undefined> {
    return (await this.#store.get<StoredOrder>(orderKey(id)))?.value;
  }

  async findMany(ids: string[]): Promise<StoredOrder[]> {
    return (await this.#store.getMany<StoredOrder>(ids.map(orderKey))).map((e) => e.value);
  }

  /**
   * Claims an Idempotency-Key for a request with an insert-only write (atomic
   * on every store). Answers the record that holds the key: this one when the
   * claim succeeded, an earlier one otherwise.
   */
  async claimIdempotencyKey(key: string, record: IdempotencyRecord): Promise<{ claimed: boolean; record: IdempotencyRecord }> {
    try {
      await this.#store.save(idempotencyKey(key), record, { onlyIfAbsent: true, metadata: { ttlInSeconds: String(IDEMPOTENCY_TTL_SECONDS) } });
      return { claimed: true, record };
    } catch (err) {
      if (!(err instanceof EtagMismatchError)) throw err;
      const existing = await this.#store.get<IdempotencyRecord>(idempotencyKey(key));
      if (!existing) throw err;
      return { claimed: false, record: existing.value };
    }
  }

  /**
   * Stores a new order and emits order.created in one transaction. The order
   * joins the list indexes at once, without waiting for its order.created to
   * come back (which lists it too): so the reconciliation, which looks for
   * stuck orders in the lists, finds it even if that event is lost. Not
   * awaited, and a failure is left to the event: the order is stored, and
   * its answer must not wait for an index lock.
   */
  async create(order: StoredOrder, event: DomainEvent<"order.created">): Promise<void> {
    const key = orderKey(order.id);
    await this.#locks.withLocks([key], () =>
      this.#store.commit([{ operation: "upsert", key, value: order }], [{ key, ...event }]),
    );
    this.reindex(order.id).catch(() => undefined);
  }

  /**
   * Decides a change of the order holding its lock and commits it with its
   * events; `before` runs first, under the same lock (to call off the
   * shipment of an order being cancelled, say). Undefined for an unknown order.
   */
  async change(
    id: string,
    decide: (order: StoredOrder) => Decision,
    before?: (order: StoredOrder, decision: Decision) => Promise<void>,
  ): Promise<{ order: StoredOrder; decision: Decision } | undefined> {
    const key = orderKey(id);
    return this.#locks.withLocks([key], async () => {
      const current = await this.#store.get<StoredOrder>(key);
      if (!current) return undefined;
      const decision = decide(current.value);
      if (decision.kind !== "change") return { order: current.value, decision };
      await before?.(current.value, decision);
      // The first event announces the order's write; the others ride along.
      const [first, ...rest] = decision.events;
      const events: OutboxEvent<DomainEvent>[] = [...(first ? [{ ...first, key }] : []), ...rest];
      await this.#store.commit([{ operation: "upsert", key, value: decision.order, etag: current.etag }], events);
      return { order: decision.order, decision };
    });
  }

  /** Brings the order's place in the list indexes up to its current status. */
  async reindex(id: string): Promise<void> {
    await Promise.all([this.#all.place(id, "all"), this.#byStatus.refresh(id)]);
  }

  /**
   * A page of orders, newest first, optionally of one status. The indexes
   * follow the orders' events within moments; an order whose status changed
   * since its index entry is left out of a status page.
   */
  async list(status: OrderStatus | undefined, offset: number, limit: number): Promise<{ orders: StoredOrder[]; total: number }> {
    const page = status ? await this.#byStatus.page(status, offset, limit) : await this.#all.page("all", offset, limit);
    const entries = await this.#store.getMany<StoredOrder>(page.ids.map(orderKey));
    const orders = entries.map((e) => e.value).filter((o) => !status || o.status === status);
    return { orders, total: page.total };
  }

  /** How many orders there are, in all and in each status (as the list indexes have them). */
  async counts(): Promise<{ all: number; byStatus: Record<OrderStatus, number> }> {
    const [all, byStatus] = await Promise.all([this.#all.totals(["all"]), this.#byStatus.totals([...ORDER_STATUSES])]);
    return {
      all: all.get("all") ?? 0,
      byStatus: Object.fromEntries(ORDER_STATUSES.map((status) => [status, byStatus.get(status) ?? 0])) as Record<OrderStatus, number>,
    };
  }

  /** Ids of orders currently listed under `status` (oldest last), up to `limit`. */
  async idsWithStatus(status: OrderStatus, limit: number): Promise<string[]> {
    return (await this.#byStatus.page(status, 0, limit)).ids;
  }
}
