/**
 * A Dapr state store component as the StateStore and OutboxStore ports:
 * reads with ETags (through the bulk API, which returns them), guarded and
 * insert-only writes, transactions, and transactions that publish an event
 * through the component's outbox.
 */
import { DaprError, EtagMismatchError } from "./errors.ts";
import type { DaprHttp } from "./http.ts";
import type { OutboxEvent, OutboxStore, SaveOptions, StateEntry, StateOperation } from "./ports.ts";

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
      // Stores report a refused insert-only write in their own words (Redis:
      // "failed to set key"); the key being there is what it means.
      if (options.onlyIfAbsent && options.etag === undefined && !(err instanceof EtagMismatchError) && (err as DaprError).status) {
        if (await this.get(key)) throw new EtagMismatchError(`state save ${key}: the key exists`, key, err);
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

  async transactWithEvent(operations: StateOperation[], event: OutboxEvent): Promise<void> {
    let announced = false;
    // Dapr copies the upsert's metadata onto the outbox CloudEvent: that is how
    // the event gets its type. The projection (same key, never stored)
    // replaces the published payload. Only the projection says
    // application/json: on the write itself that metadata would make the
    // Redis store use RedisJSON commands.
    const typed = operations.map((op): StateOperation => {
      if (op.operation !== "upsert" || op.key !== event.key) return op;
      announced = true;
      return { ...op, metadata: { ...op.metadata, type: event.type } };
    });
    if (!announced) throw new Error(`transactWithEvent: no upsert of ${event.key} to announce`);
    const projection: StateOperation = {
      operation: "upsert",
      key: event.key,
      value: event.data,
      metadata: { "outbox.projection": "true", contentType: "application/json" },
    };
    await this.transact([...typed, projection]);
  }

}
