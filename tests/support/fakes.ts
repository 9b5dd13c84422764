/**
 * Fake ports for unit tests: in-memory, no sockets, with the semantics the
 * real adapters promise (ETags, insert-only writes, typed errors).
 */
import { ORDER_STATUSES } from "../../services/contracts/api/orders.ts";
import { applyToOrder, orderIdOf } from "../../services/dashboard/projection.ts";
import type { OrderView, ProjectedEvent } from "../../services/dashboard/projection.ts";
import type { Projections } from "../../services/dashboard/read-side.ts";
import type { OrderSearch, Summary } from "../../services/dashboard/store.ts";
import { DependencyUnavailableError } from "../../services/kit/failures.ts";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { inject } from "light-my-request";
import type { InjectOptions, Response } from "light-my-request";
import type Koa from "koa";
import { DaprError, DaprTimeoutError, EtagMismatchError } from "../../services/kit/ports/errors.ts";
import type {
  EventPublisher,
  InvokeRequest,
  InvokeResponse,
  OutboxEvent,
  OutboxStore,
  SaveOptions,
  SecretReader,
  ServiceInvoker,
  SidecarHealth,
  StateEntry,
  StateOperation,
  StreamedResponse,
} from "../../services/kit/ports/ports.ts";
import { applySingle, outboxOperations } from "../../services/kit/dapr/state.ts";
import { createLogger } from "../../services/kit/logger.ts";
import type { Logger } from "../../services/kit/logger.ts";
import { createMetrics } from "../../services/kit/metrics.ts";
import type { HttpMetrics } from "../../services/kit/metrics.ts";

/** An in-memory state store with ETags; its outbox records published events. */
export class FakeStateStore implements OutboxStore {
  readonly data = new Map<string, { value: unknown; version: number; firstWrite?: boolean }>();
  readonly published: OutboxEvent[] = [];
  /** Set to make the next write fail with this error. */
  failNextWrite: Error | undefined;
  writes = 0;

  async get<T>(key: string): Promise<StateEntry<T> | undefined> {
    const entry = this.data.get(key);
    return entry ? { key, value: structuredClone(entry.value) as T, etag: String(entry.version) } : undefined;
  }

  async getMany<T>(keys: string[]): Promise<StateEntry<T>[]> {
    const found: StateEntry<T>[] = [];
    for (const key of keys) {
      const entry = await this.get<T>(key);
      if (entry) found.push(entry);
    }
    return found;
  }

  #check(key: string, options: SaveOptions | { etag?: string }, write = false): void {
    const current = this.data.get(key);
    if (options.etag !== undefined && (!current || String(current.version) !== options.etag)) {
      throw new EtagMismatchError(`etag mismatch on ${key}`, key);
    }
    if ("onlyIfAbsent" in options && options.onlyIfAbsent && options.etag === undefined && current) {
      throw new EtagMismatchError(`${key} exists`, key);
    }
    // As Dapr's Redis store: a key once written with first-write concurrency
    // (insert-only, or guarded by an ETag) is overwritten only by a write that names its ETag.
    if (write && current?.firstWrite && options.etag === undefined) {
      throw new DaprError(`failed saving state: failed to set key ${key}`, { status: 500, code: "ERR_STATE_SAVE" });
    }
  }

  #failIfAsked(): void {
    const failure = this.failNextWrite;
    if (failure) {
      this.failNextWrite = undefined;
      throw failure;
    }
  }

  /** Stores a value; single saves with first-write concurrency mark the key, transactions do not (as Redis). */
  #set(key: string, value: unknown, options: SaveOptions, marks: boolean): void {
    const current = this.data.get(key);
    const firstWrite = current?.firstWrite || (marks && (options.etag !== undefined || options.onlyIfAbsent === true));
    this.data.set(key, { value: structuredClone(value), version: (current?.version ?? 0) + 1, ...(firstWrite ? { firstWrite } : {}) });
  }

  async save(key: string, value: unknown, options: SaveOptions = {}): Promise<void> {
    this.#failIfAsked();
    this.#check(key, options, true);
    this.writes++;
    this.#set(key, value, options, true);
  }

  async delete(key: string, options: { etag?: string } = {}): Promise<void> {
    this.#failIfAsked();
    this.#check(key, options);
    this.data.delete(key);
  }

  async transact(operations: StateOperation[]): Promise<void> {
    this.#failIfAsked();
    for (const op of operations) this.#check(op.key, op, op.operation === "upsert");
    for (const op of operations) {
      this.writes++;
      if (op.operation === "delete") this.data.delete(op.key);
      else this.#set(op.key, op.value, op, false);
    }
  }

  /** As the adapter, checking the same outbox rules; applied all or nothing, as on PostgreSQL. */
  async commit(operations: StateOperation[], events: OutboxEvent[]): Promise<void> {
    if (events.length === 0 && operations.length === 1) return applySingle(this, operations[0]!);
    const ops = outboxOperations(operations, events, () => crypto.randomUUID());
    await this.transact(ops.filter((op) => !(op.operation === "upsert" && op.metadata?.["outbox.projection"] === "true")));
    this.published.push(...events.map((event) => structuredClone(event)));
  }

  /** The published events of one type, their data. */
  eventsOf(type: string): unknown[] {
    return this.published.filter((e) => e.type === type).map((e) => e.data);
  }
}

export class FakePublisher implements EventPublisher {
  readonly events: Array<{ topic: string; type: string; data: unknown; id?: string }> = [];
  async publish(topic: string, type: string, data: unknown, options: { id?: string } = {}): Promise<void> {
    this.events.push({ topic, type, data, ...(options.id ? { id: options.id } : {}) });
  }
}

/** Answers invocations with a function of the call; records every call. */
export class FakeInvoker implements ServiceInvoker {
  readonly calls: Array<{ appId: string } & InvokeRequest> = [];
  answer: (appId: string, request: InvokeRequest) => Promise<InvokeResponse> | InvokeResponse;
  constructor(answer: (appId: string, request: InvokeRequest) => Promise<InvokeResponse> | InvokeResponse) {
    this.answer = answer;
  }
  async invoke(appId: string, request: InvokeRequest): Promise<InvokeResponse> {
    this.calls.push({ appId, ...request });
    const answer = Promise.resolve(this.answer(appId, request));
    if (request.timeoutMs === undefined) return answer;
    // As the adapter: past timeoutMs the call ends in DaprTimeoutError.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DaprTimeoutError(`invoke ${appId}: no answer in time`)), request.timeoutMs);
    });
    return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
  }
  /** The same answer, its body as a stream that ends with it (a stream test gives `streamed`). */
  streamed?: (appId: string, request: InvokeRequest, signal: AbortSignal) => Promise<StreamedResponse> | StreamedResponse;
  async stream(appId: string, request: InvokeRequest, signal: AbortSignal): Promise<StreamedResponse> {
    this.calls.push({ appId, ...request });
    if (this.streamed) return this.streamed(appId, request, signal);
    const answer = await this.answer(appId, request);
    const bytes = answer.body;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    return { status: answer.status, headers: answer.headers, body };
  }
}

/** An invocation response with a JSON body. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): InvokeResponse {
  return {
    status,
    headers: new Headers({ "content-type": "application/json", ...headers }),
    body: new TextEncoder().encode(JSON.stringify(body)),
  };
}

export class FakeSidecar implements SidecarHealth {
  healthy = true;
  async check(): Promise<void> {
    if (!this.healthy) throw new Error("sidecar down");
  }
}

/** A secret store of one flat object, like Dapr's local file store (each secret a one-key map). */
export class FakeSecrets implements SecretReader {
  readonly values: Record<string, string>;
  reads = 0;
  failing = false;
  constructor(values: Record<string, string>) {
    this.values = values;
  }
  async get(_store: string, name: string): Promise<Record<string, string>> {
    this.reads += 1;
    if (this.failing) throw new DaprError("secret store unavailable", { status: 500 });
    const value = this.values[name];
    if (value === undefined) throw new DaprError(`secret ${name} not found`, { status: 500 });
    return { [name]: value };
  }
}

/** The repository's root, from the sources (Deno) or from dist/ (Node). */
export function repositoryRoot(): string {
  let dir = import.meta.dirname ?? dirname(new URL(import.meta.url).pathname);
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error("no package.json above the tests");
    dir = up;
  }
  return dir;
}

/** The development secret store's contents (components/secrets.dev.json). */
export function devSecrets(): FakeSecrets {
  return new FakeSecrets(JSON.parse(readFileSync(join(repositoryRoot(), "components/secrets.dev.json"), "utf8")));
}

/** A logger whose JSON lines land in `lines`, for tests that read logs. */
export function captureLogger(appId = "test"): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger(appId, "debug", { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

/** What every app factory needs besides its ports. */
export function appBasics(appId = "test"): { appId: string; logger: Logger; metrics: HttpMetrics; bodyLimitBytes: number; lines: Array<Record<string, unknown>> } {
  const { logger, lines } = captureLogger(appId);
  return { appId, logger, metrics: createMetrics(appId, false), bodyLimitBytes: 16 * 1024, lines };
}

/** Sends one request to the app in process (no socket). */
export function call(app: Koa, options: InjectOptions): Promise<Response> {
  return inject(app.callback(), options);
}

/**
 * The read side's projections in memory: the projection's own rules per
 * order (services/dashboard/projection.ts), counts by status, searches by
 * status; `unavailable` makes every call fail as a database that is down.
 */
export class FakeProjections implements Projections {
  readonly orders = new Map<string, OrderView>();
  readonly events: ProjectedEvent[] = [];
  unavailable = false;

  #check(): void {
    if (this.unavailable) throw new DependencyUnavailableError("MongoDB: connection refused");
  }

  async apply(event: ProjectedEvent): Promise<boolean> {
    this.#check();
    this.events.push(event);
    const orderId = orderIdOf(event);
    if (!orderId) return false;
    const before = this.orders.get(orderId);
    const { view } = applyToOrder(before, event);
    this.orders.set(orderId, view);
    return view !== before;
  }

  async summary(now = new Date()): Promise<Summary> {
    this.#check();
    const orders = [...this.orders.values()];
    return {
      as_of: now.toISOString(),
      orders_by_status: Object.fromEntries(ORDER_STATUSES.map((s) => [s, orders.filter((o) => o.status === s).length])) as Summary["orders_by_status"],
      last_hour: { created: orders.length, confirmed: 0, failed: 0, revenue: 0, per_minute: [] },
      saga_latency_ms: { p50: null, p95: null, samples: 0 },
      low_stock: [],
      courier_load: [],
    };
  }

  async searchOrders(search: OrderSearch): Promise<{ items: OrderView[]; total: number }> {
    this.#check();
    const found = [...this.orders.values()].filter((o) => !search.status || o.status === search.status);
    return { items: found.slice(search.offset, search.offset + search.limit), total: found.length };
  }

  async ping(): Promise<void> {
    this.#check();
  }

  async clear(): Promise<void> {
    this.#check();
    this.orders.clear();
  }
}
