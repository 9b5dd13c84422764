/**
 * A Dapr state store component as the StateStore and OutboxStore ports:
 * reads with ETags (through the bulk API, which returns them), guarded and
 * insert-only writes, transactions, and transactions that publish an event
 * through the component's outbox.
 */
import { DaprError, EtagMismatchError } from "../ports/errors.ts";
import type { DaprHttp } from "./http.ts";
import type { OutboxEvent, OutboxStore, SaveOptions, StateEntry, StateOperation, StateStore } from "../ports/ports.ts";

function toRequestOperation(op: StateOperation): Record<string, unknown> {
  if (op.operation === "delete") {
    return { operation: "delete", request: { key: op.key, ...(op.etag ? { etag: op.etag } : {}) } };
  }
  return { operation: "upsert", request: toSaveRequest(op.key, op.value, op) };
}

function toSaveRequest(key: string, value: unknown, options: SaveOptions): Record<string, unknown> {
  const request: Record<string, unknown> = { key, value };
  if (options.etag !== undefined || options.onlyIfAbsent) {
    // first-write with no ETag means "insert only": the write fails if the key exists.
    request.options = { concurrency: "first-write", consistency: "strong" };
    if (options.etag !== undefined) request.etag = options.etag;
  }
  if (options.metadata) request.metadata = options.metadata;
  return request;
}

/** How long the record of an event that announces no state write is kept. */
export const EVENT_RECORD_TTL_SECONDS = 24 * 3600;

/**
 * The operations of a transaction that writes `operations` and publishes
 * `events` through Dapr's outbox.
 *
 * Dapr publishes one event per upsert, typed by the upsert's `type` metadata,
 * with the payload of an extra "projection" upsert of the same key (removed
 * from the transaction before it runs). Each projection is placed just before
 * its upsert: Dapr removes projections while iterating over the operations,
 * and only this layout (never two projections in a row, none last) comes out
 * of that loop intact. Only projections say application/json; on a stored
 * write that metadata would switch the Redis store to RedisJSON commands.
 */
export function outboxOperations(operations: StateOperation[], events: OutboxEvent[], newId: () => string): StateOperation[] {
  if (events.length === 0 && operations.length > 1) {
    throw new Error("an outbox transaction publishes every upsert: announce each with an event");
  }
  const announcing = new Map<string, OutboxEvent>();
  const records: StateOperation[] = [];
  for (const event of events) {
    if (event.key === undefined) {
      const key = `event:${newId()}`;
      announcing.set(key, { ...event, key });
      records.push({ operation: "upsert", key, value: { type: event.type }, metadata: { ttlInSeconds: String(EVENT_RECORD_TTL_SECONDS) } });
    } else if (announcing.has(event.key)) {
      throw new Error(`two events announce the write of ${event.key}; give one of them no key`);
    } else {
      announcing.set(event.key, event);
    }
  }
  const result: StateOperation[] = [];
  const announced = new Set<string>();
  for (const op of [...operations, ...records]) {
    if (op.operation === "delete") {
      result.push(op);
      continue;
    }
    const event = announcing.get(op.key);
    if (!event) throw new Error(`the upsert of ${op.key} is announced by no event`);
    if (announced.has(op.key)) throw new Error(`${op.key} is upserted twice in one transaction`);
    announced.add(op.key);
    result.push(
      { operation: "upsert", key: op.key, value: event.data, metadata: { "outbox.projection": "true", contentType: "application/json" } },
      { ...op, metadata: { ...op.metadata, type: event.type } },
    );
  }
  const unannounced = [...announcing.keys()].filter((key) => !announced.has(key));
  if (unannounced.length > 0) throw new Error(`events announce writes that are not in the transaction: ${unannounced.join(", ")}`);
  return result;
}

/** One write or delete through the single-key API (which publishes nothing). */
export function applySingle(store: StateStore, op: StateOperation): Promise<void> {
  if (op.operation === "delete") return store.delete(op.key, op.etag !== undefined ? { etag: op.etag } : {});
  const { operation: _operation, key, value, ...options } = op;
  return store.save(key, value, options);
}

/** How Dapr's Redis state store words an insert-only write that found the key there. */
const REFUSED_INSERT = /failed to set key/;

/** A Dapr state store component as a StateStore (and outbox, when configured). */
export class DaprStateStore implements OutboxStore {
  readonly #http: DaprHttp;
  readonly #store: string;

  constructor(http: DaprHttp, storeName: string) {
    this.#http = http;
    this.#store = encodeURIComponent(storeName);
  }

  async get<T>(key: string): Promise<StateEntry<T> | undefined> {
    const [entry] = await this.getMany<T>([key]);
    return entry;
  }

  async getMany<T>(keys: string[]): Promise<StateEntry<T>[]> {
    if (keys.length === 0) return [];
    // The bulk API returns each value with its ETag, which the single get hides.
    const items = (await this.#http.execute(`/state/${this.#store}/bulk`, {
      method: "POST",
      body: { keys, parallelism: 8 },
    })) as Array<{ key: string; data?: T; etag?: string; error?: string }>;
    const byKey = new Map(items.map((item) => [item.key, item]));
    const found: StateEntry<T>[] = [];
    for (const key of keys) {
      const item = byKey.get(key);
      if (item?.error) throw new DaprError(`state get ${key}: ${item.error}`);
      if (item && item.data !== undefined && item.data !== null && item.data !== "") {
        found.push({ key, value: item.data, etag: item.etag ?? "" });
      }
    }
    return found;
  }

  async save(key: string, value: unknown, options: SaveOptions = {}): Promise<void> {
    try {
      await this.#http.execute(`/state/${this.#store}`, { method: "POST", body: [toSaveRequest(key, value, options)] }, { key });
    } catch (err) {
      // Stores report a refused insert-only write in their own words, and
      // Dapr answers 500 for it. Redis says "failed to set key": the key was
      // there when the write ran, even if it is gone again by now (a lock
      // released in between). Elsewhere, the key being there is what it means.
      if (options.onlyIfAbsent && options.etag === undefined && !(err instanceof EtagMismatchError) && (err as DaprError).status) {
        if (REFUSED_INSERT.test((err as Error).message) || (await this.get(key))) {
          throw new EtagMismatchError(`state save ${key}: the key exists`, key, err);
        }
      }
      throw err;
    }
  }

  async delete(key: string, options: { etag?: string } = {}): Promise<void> {
    const headers: Record<string, string> = options.etag ? { "If-Match": options.etag } : {};
    const query = options.etag ? "?concurrency=first-write" : "";
    await this.#http.execute(`/state/${this.#store}/${encodeURIComponent(key)}${query}`, { method: "DELETE", headers }, { key });
  }

  async transact(operations: StateOperation[], metadata?: Record<string, string>): Promise<void> {
    if (operations.length === 0) return;
    await this.#http.execute(`/state/${this.#store}/transaction`, {
      method: "POST",
      body: { operations: operations.map(toRequestOperation), ...(metadata ? { metadata } : {}) },
    });
  }

  async commit(operations: StateOperation[], events: OutboxEvent[]): Promise<void> {
    if (events.length === 0 && operations.length === 1) return applySingle(this, operations[0]!);
    await this.transact(outboxOperations(operations, events, () => crypto.randomUUID()));
  }
}
