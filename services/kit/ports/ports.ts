/**
 * The ports through which services reach infrastructure. Services and their
 * tests depend on these interfaces only; adapters.ts and state.ts implement
 * them over the Dapr sidecar, and unit tests pass fakes.
 */

/** A stored value with the ETag that guards its next write. */
export interface StateEntry<T> {
  key: string;
  value: T;
  etag: string;
}

export interface SaveOptions {
  /** Write only if the stored ETag still matches (first-write-wins). */
  etag?: string;
  /** With no etag: write only if the key does not exist yet. */
  onlyIfAbsent?: boolean;
  /** Component metadata, such as ttlInSeconds. */
  metadata?: Record<string, string>;
}

export type StateOperation =
  | ({ operation: "upsert"; key: string; value: unknown } & SaveOptions)
  | { operation: "delete"; key: string; etag?: string };

/** Transactional key-value state with optimistic concurrency. */
export interface StateStore {
  get<T>(key: string): Promise<StateEntry<T> | undefined>;
  /** The entries that exist, in the order of `keys`. */
  getMany<T>(keys: string[]): Promise<StateEntry<T>[]>;
  /**
   * Writes one key atomically on every store. Throws EtagMismatchError when
   * the write loses a race: a stale etag, or onlyIfAbsent and the key exists.
   */
  save(key: string, value: unknown, options?: SaveOptions): Promise<void>;
  delete(key: string, options?: { etag?: string }): Promise<void>;
  /**
   * Writes several keys in one state transaction. PostgreSQL applies all or
   * none. Redis runs them in MULTI/EXEC, which has no rollback: an operation
   * whose ETag check fails is skipped while the others are applied, and an
   * insert-only (onlyIfAbsent) upsert is not guarded at all. Keep guarded
   * writes in save(); use transact for writes that must not be split.
   */
  transact(operations: StateOperation[], metadata?: Record<string, string>): Promise<void>;
}

/** What an event is to the kit: a CloudEvent type and its data. Services narrow it to their event catalog. */
export interface Announcement {
  /** The CloudEvent type, such as order.created. */
  type: string;
  data: unknown;
}

/** An event published through the outbox of a state transaction. */
export type OutboxEvent<E extends Announcement = Announcement> = E & {
  /** The upserted key whose write the event announces. */
  key?: string | undefined;
};

/** A state store whose transactions also publish events (Dapr's outbox), of the kinds in E. */
export interface OutboxStore<E extends Announcement = Announcement> extends StateStore {
  /**
   * Writes `operations` and publishes `events` in one state transaction: the
   * events leave only if the state is written. Dapr's outbox publishes one
   * event per upsert, so every upsert must be announced by exactly one event
   * (its `key`); an event with no key gets a short-lived record of its own.
   * With no events, a single write is a plain save or delete.
   */
  commit(operations: StateOperation[], events: OutboxEvent<E>[]): Promise<void>;
}

export interface PublishOptions {
  /** The CloudEvent id; publishing the same id again is a duplicate. */
  id?: string;
}

/** Publishes CloudEvents to topics of the pub/sub component. */
export interface EventPublisher {
  publish(topic: string, type: string, data: unknown, options?: PublishOptions): Promise<void>;
}

export interface InvokeRequest {
  method: string;
  /** Path and query on the target app, such as `orders/42?x=1`. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Past this, the call is abandoned with DaprTimeoutError. */
  timeoutMs?: number;
}

export interface InvokeResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

/** An answer whose body is read as it comes (a stream that stays open). */
export interface StreamedResponse {
  status: number;
  headers: Headers;
  body: ReadableStream<Uint8Array> | null;
}

/** Calls another app through service invocation; answers any status as is. */
export interface ServiceInvoker {
  invoke(appId: string, request: InvokeRequest): Promise<InvokeResponse>;
  /** The same call, its answer's body passed on as it comes until it ends or `signal` aborts. */
  stream(appId: string, request: Omit<InvokeRequest, "timeoutMs">, signal: AbortSignal): Promise<StreamedResponse>;
}

/** Reads secrets from a secret store component. */
export interface SecretReader {
  get(store: string, name: string): Promise<Record<string, string>>;
}

/** Sends data to an output binding. */
export interface OutputBinding {
  send(binding: string, operation: string, data: unknown, metadata?: Record<string, string>): Promise<unknown>;
}

/** The sidecar itself. */
export interface SidecarHealth {
  /** Resolves when the sidecar is healthy; throws DaprError otherwise (DaprTimeoutError past timeoutMs). */
  check(timeoutMs?: number): Promise<void>;
}
