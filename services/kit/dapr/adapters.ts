/**
 * The ports of ports.ts over one Dapr sidecar: state (state.ts), publishing,
 * service invocation, secrets, output bindings and the sidecar's health.
 * Service invocation goes through fetch, because its callers need the
 * target's status, headers and body as they are.
 */
import { DaprError, DaprTimeoutError } from "../ports/errors.ts";
import { DaprHttp } from "./http.ts";
import type { SidecarAddress } from "./http.ts";
import type {
  EventPublisher,
  InvokeRequest,
  InvokeResponse,
  OutputBinding,
  PublishOptions,
  SecretReader,
  ServiceInvoker,
  SidecarHealth,
  StreamedResponse,
} from "../ports/ports.ts";
import { DaprStateStore } from "./state.ts";

export { toDaprError } from "./http.ts";
export type { SidecarAddress } from "./http.ts";

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
    const signal = request.timeoutMs === undefined ? undefined : AbortSignal.timeout(request.timeoutMs);
    const response = await this.#http.fetch(`/v1.0/invoke/${encodeURIComponent(appId)}/method/${path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body as BodyInit | undefined,
      ...(signal ? { signal } : {}),
    });
    try {
      return { status: response.status, headers: response.headers, body: new Uint8Array(await response.arrayBuffer()) };
    } catch (err) {
      if ((err as Error).name === "TimeoutError") throw new DaprTimeoutError(`invoke ${appId}: no answer in time`, err);
      throw err;
    }
  }

  async stream(appId: string, request: Omit<InvokeRequest, "timeoutMs">, signal: AbortSignal): Promise<StreamedResponse> {
    const path = request.path.replace(/^\/+/, "");
    const response = await this.#http.fetch(`/v1.0/invoke/${encodeURIComponent(appId)}/method/${path}`, {
      method: request.method,
      headers: request.headers,
      body: request.body as BodyInit | undefined,
      signal,
    });
    return { status: response.status, headers: response.headers, body: response.body };
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

  async check(timeoutMs = 2000): Promise<void> {
    const response = await this.#http.fetch("/v1.0/healthz", { signal: AbortSignal.timeout(timeoutMs) });
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
