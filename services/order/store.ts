/**
 * Orders in the state store. Every write that changes an order goes through
 * the store's outbox, so the order and the event announcing it are written
 * together or not at all.
 */
import { EtagMismatchError } from "../kit/dapr/errors.ts";
import type { OutboxStore } from "../kit/dapr/ports.ts";
import type { OrderCreated, StoredOrder } from "./domain.ts";

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
  readonly #store: OutboxStore;
  constructor(store: OutboxStore) {
    this.#store = store;
  }

  async find(id: string): Promise<StoredOrder | undefined> {
    return (await this.#store.get<StoredOrder>(orderKey(id)))?.value;
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
   * Stores a new order and emits order.created in one transaction (the
   * store's outbox publishes the event once the order is written).
   */
  async create(order: StoredOrder, event: OrderCreated): Promise<void> {
    const key = orderKey(order.id);
    await this.#store.transactWithEvent([{ operation: "upsert", key, value: order }], {
      key,
      type: "order.created",
      data: event,
    });
  }
}
