/**
 * The ports of ports.ts over the Dapr sidecar's HTTP API, through the
 * @dapr/dapr SDK's HTTP client. The SDK's higher-level helpers resolve to
 * `{error}` instead of throwing, drop ETags and cannot carry trace headers, so
 * the adapters use its `execute` call with the request each operation needs
 * and turn failures into the typed errors of errors.ts. Service invocation
 * goes through fetch: its callers need the target's status, headers and body
 * as they are.
 */
import { CommunicationProtocolEnum, HTTPClient, LogLevel } from "@dapr/dapr";
import { traceHeaders } from "../trace-context.ts";
import { DaprError, DaprUnavailableError, EtagInvalidError, EtagMismatchError } from "./errors.ts";
import type {
  EventPublisher,
  InvokeRequest,
  InvokeResponse,
  OutboxEvent,
  OutboxStore,
  OutputBinding,
  PublishOptions,
  SaveOptions,
  SecretReader,
  ServiceInvoker,
  SidecarHealth,
  StateEntry,
  StateOperation,
} from "./ports.ts";

export interface SidecarAddress {
  daprHost: string;
  daprHttpPort: number;
  daprApiToken: string | undefined;
}

type ExecuteParams = { method: string; body?: object | string; headers?: Record<string, string> };

/** The sidecar's HTTP API: one request, typed errors. */
export class DaprHttp {
  readonly baseUrl: string;
  readonly #client: HTTPClient;
  readonly #token: string | undefined;

  constructor(address: SidecarAddress) {
    this.baseUrl = `http://${address.daprHost}:${address.daprHttpPort}`;
    this.#token = address.daprApiToken;
    this.#client = new HTTPClient({
      daprHost: address.daprHost,
      daprPort: String(address.daprHttpPort),
      communicationProtocol: CommunicationProtocolEnum.HTTP,
      daprApiToken: address.daprApiToken,
      logger: { level: LogLevel.Error },
    });
  }

  /** Calls `/v1.0<path>`; resolves to the parsed body. */
  async execute(path: string, params: ExecuteParams, context: { key?: string } = {}): Promise<unknown> {
    const headers = { ...traceHeaders(), ...params.headers };
    if (params.body !== undefined) headers["Content-Type"] ??= "application/json";
    try {
      // requiresInitialization=false: fail fast instead of polling for a sidecar.
      return await this.#client.execute(path, { ...params, headers }, false);
    } catch (err) {
      throw toDaprError(err, `${params.method} ${path}`, context.key);
    }
  }

  /** Plain fetch against the sidecar, with the API token and trace headers. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(traceHeaders())) if (!headers.has(name)) headers.set(name, value);
    if (this.#token) headers.set("dapr-api-token", this.#token);
    try {
      return await fetch(`${this.baseUrl}${path}`, { ...init, headers });
    } catch (err) {
      throw new DaprUnavailableError(`Dapr sidecar at ${this.baseUrl} unreachable: ${(err as Error).message}`, err);
    }
  }
}

/** Maps what the SDK's execute throws to a typed DaprError. */
export function toDaprError(err: unknown, what: string, key?: string): DaprError {
  const message = err instanceof Error ? err.message : String(err);
  let parsed: { status?: number; error_msg?: string } | undefined;
  try {
    parsed = JSON.parse(message) as { status?: number; error_msg?: string };
  } catch {
    return new DaprUnavailableError(`${what}: Dapr sidecar unreachable: ${message}`, err);
  }
  const status = parsed.status;
  let code: string | undefined;
  let detail = parsed.error_msg ?? message;
  try {
    const body = JSON.parse(parsed.error_msg ?? "") as { errorCode?: string; message?: string };
    code = body.errorCode;
    detail = body.message ?? detail;
  } catch {
    // Not every Dapr error body is JSON; keep the text.
  }
  if (status === 409) return new EtagMismatchError(`${what}: ${detail}`, key, err);
  if (status === 400 && /etag/i.test(detail)) return new EtagInvalidError(`${what}: ${detail}`, err);
  if (status === 500 && /etag mismatch|possible etag/i.test(detail)) return new EtagMismatchError(`${what}: ${detail}`, key, err);
  return new DaprError(`${what} failed (${status}): ${detail}`, { status, code, cause: err });
}

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
    const upsert = operations.find((op) => op.operation === "upsert" && op.key === event.key);
    if (!upsert || upsert.operation !== "upsert") {
      throw new Error(`transactWithEvent: no upsert of ${event.key} to announce`);
    }
    const request = operations.map(toRequestOperation);
    const announced = request.find((op) => (op.request as { key: string }).key === event.key && op.operation === "upsert")!;
    // Dapr copies the upsert's metadata onto the outbox CloudEvent: that is how
    // the event gets its type. The projection replaces the published payload.
    // (Only the projection says application/json: on the write itself that
    // metadata would make the Redis store use RedisJSON commands.)
    const announcedRequest = announced.request as { metadata?: Record<string, string> };
    announcedRequest.metadata = { ...announcedRequest.metadata, type: event.type };
    request.push({
      operation: "upsert",
      request: { key: event.key, value: event.data, metadata: { "outbox.projection": "true", contentType: "application/json" } },
    });
    await this.#http.execute(`/state/${this.#store}/transaction`, { method: "POST", body: { operations: request } });
  }
}

/** Publishes to a Dapr pub/sub component, setting the CloudEvent type (and id). */
export class DaprPublisher implements EventPublisher {
  readonly #http: DaprHttp;
  readonly #pubsub: string;

  constructor(http: DaprHttp, pubsubName: string) {
    this.#http = http;
    this.#pubsub = encodeURIComponent(pubsubName);
  }

  async publish(topic: string, type: string, data: unknown, options: PublishOptions = {}): Promise<void> {
    const query = new URLSearchParams({ "metadata.cloudevent.type": type });
    if (options.id) query.set("metadata.cloudevent.id", options.id);
    await this.#http.execute(`/publish/${this.#pubsub}/${encodeURIComponent(topic)}?${query}`, { method: "POST", body: data as object });
  }
}

/** Service invocation through the sidecar, answering the target's response as is. */
export class DaprInvoker implements ServiceInvoker {
  readonly #http: DaprHttp;
  constructor(http: DaprHttp) {
    this.#http = http;
  }

  async invoke(appId: string, request: InvokeRequest): Promise<InvokeResponse> {
    const path = request.path.replace(/^\/+/, "");
    const response = await this.#http.fetch(`/v1.0/invoke/${encodeURIComponent(appId)}/method/${path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body as BodyInit | undefined,
    });
    return { status: response.status, headers: response.headers, body: new Uint8Array(await response.arrayBuffer()) };
  }
}

/** Reads a secret (all its keys) from a Dapr secret store. */
export class DaprSecrets implements SecretReader {
  readonly #http: DaprHttp;
  constructor(http: DaprHttp) {
    this.#http = http;
  }

  async get(store: string, name: string): Promise<Record<string, string>> {
    return (await this.#http.execute(`/secrets/${encodeURIComponent(store)}/${encodeURIComponent(name)}`, {
      method: "GET",
    })) as Record<string, string>;
  }
}

/** Sends to a Dapr output binding. */
export class DaprBinding implements OutputBinding {
  readonly #http: DaprHttp;
  constructor(http: DaprHttp) {
    this.#http = http;
  }

  async send(binding: string, operation: string, data: unknown, metadata: Record<string, string> = {}): Promise<unknown> {
    return this.#http.execute(`/bindings/${encodeURIComponent(binding)}`, {
      method: "POST",
      body: { operation, data, metadata },
    });
  }
}

/** The sidecar's own health endpoint. */
export class DaprSidecarHealth implements SidecarHealth {
  readonly #http: DaprHttp;
  constructor(http: DaprHttp) {
    this.#http = http;
  }

  async check(): Promise<void> {
    const response = await this.#http.fetch("/v1.0/healthz", { signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    if (response.status >= 300) throw new DaprError(`sidecar unhealthy (${response.status})`, { status: response.status });
  }
}

/** Every port over one sidecar. */
export function connectSidecar(address: SidecarAddress, names: { stateStore: string; pubsub: string }) {
  const http = new DaprHttp(address);
  return {
    http,
    state: new DaprStateStore(http, names.stateStore),
    publisher: new DaprPublisher(http, names.pubsub),
    invoker: new DaprInvoker(http),
    secrets: new DaprSecrets(http),
    bindings: new DaprBinding(http),
    sidecar: new DaprSidecarHealth(http),
    /** Another state store component on the same sidecar. */
    store: (name: string) => new DaprStateStore(http, name),
  };
}
