/**
 * The sidecar's HTTP API, through the @dapr/dapr SDK's HTTP client. The SDK's
 * higher-level helpers resolve to `{error}` instead of throwing, drop ETags
 * and cannot carry trace headers, so the adapters use its `execute` call with
 * the request each operation needs; failures become the typed errors of
 * errors.ts. Calls carry the API token, and each is a client span of the
 * current trace whose context goes with it (traceparent), so the sidecar's
 * own spans are its children.
 */
import { CommunicationProtocolEnum, HTTPClient, LogLevel } from "@dapr/dapr";
import { currentTrace, SpanKind, startSpan, traceHeaders } from "../trace-context.ts";
import type { Span, SpanOptions } from "../trace-context.ts";
import { DaprError, DaprTimeoutError, DaprUnavailableError, EtagInvalidError, EtagMismatchError } from "../ports/errors.ts";

export interface SidecarAddress {
  daprHost: string;
  daprHttpPort: number;
  daprApiToken: string | undefined;
}

/**
 * How long a call to the sidecar's API (state, publish, bindings, secrets)
 * may take. Without a deadline, a sidecar that never answers (a store or
 * mail server that accepted the connection and went quiet) holds the
 * caller, and every lock it holds, for ever; with one, the call fails as a
 * timeout (outcome unknown: an event is delivered again, a request answered
 * 504) and the locks are released well within their lease (30 s) and the
 * sidecar's own 30 s for a delivery.
 */
export const SIDECAR_CALL_TIMEOUT_MS = 10_000;

type ExecuteParams = { method: string; body?: object | string; headers?: Record<string, string> };

/** The sidecar's HTTP API: one request, typed errors. */
export class DaprHttp {
  readonly baseUrl: string;
  readonly #client: HTTPClient;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;

  constructor(address: SidecarAddress, timeoutMs = SIDECAR_CALL_TIMEOUT_MS) {
    this.#timeoutMs = timeoutMs;
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

  /**
   * Calls `/v1.0<path>`; resolves to the parsed body. A sidecar that does not
   * answer within the deadline ends in DaprTimeoutError (the SDK's client
   * takes no signal, so the request is left to finish or fail on its own).
   */
  async execute(path: string, params: ExecuteParams, context: { key?: string } = {}): Promise<unknown> {
    const span = this.#span(params.method, path);
    const headers = { ...traceHeaders(span?.trace), ...params.headers };
    if (params.body !== undefined) headers["Content-Type"] ??= "application/json";
    const what = `${params.method} ${path}`;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DaprTimeoutError(`${what}: no answer from the sidecar within ${this.#timeoutMs} ms; the outcome is unknown`)), this.#timeoutMs);
    });
    try {
      // requiresInitialization=false: fail fast instead of polling for a sidecar.
      return await Promise.race([this.#client.execute(path, { ...params, headers }, false), deadline]);
    } catch (err) {
      const failure = err instanceof DaprTimeoutError ? err : toDaprError(err, what, context.key);
      span?.fail(failure);
      if (failure.status) span?.setAttributes({ "http.response.status_code": failure.status });
      throw failure;
    } finally {
      clearTimeout(timer);
      span?.end();
    }
  }

  /** The client span of a call to the sidecar's API (none for its health check). */
  #span(method: string, path: string): Span | undefined {
    const described = describeCall(method, path.replace(/^\/v1\.0/, ""));
    if (!described) return undefined;
    const { name, ...options } = described;
    const url = new URL(`${this.baseUrl}/v1.0${path.replace(/^\/v1\.0/, "")}`);
    return startSpan(name, {
      ...options,
      parent: currentTrace(),
      attributes: { ...options.attributes, "http.request.method": method, "server.address": url.hostname, "server.port": Number(url.port), "url.full": `${url.origin}${url.pathname}` },
    });
  }

  /**
   * Plain fetch against the sidecar, with the API token and trace headers.
   * An init.signal that times out (AbortSignal.timeout) ends in DaprTimeoutError.
   */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const span = this.#span(init.method ?? "GET", path);
    const headers = new Headers(init.headers);
    for (const [name, value] of Object.entries(traceHeaders(span?.trace))) if (!headers.has(name)) headers.set(name, value);
    if (this.#token) headers.set("dapr-api-token", this.#token);
    try {
      const response = await fetch(`${this.baseUrl}${path}`, { ...init, headers });
      span?.setAttributes({ "http.response.status_code": response.status });
      if (response.status >= 500) span?.fail();
      return response;
    } catch (err) {
      const failure =
        (err as Error).name === "TimeoutError"
          ? new DaprTimeoutError(`${path}: no answer in time`, err)
          : new DaprUnavailableError(`Dapr sidecar at ${this.baseUrl} unreachable: ${(err as Error).message}`, err);
      span?.fail(failure);
      throw failure;
    } finally {
      span?.end();
    }
  }
}

/**
 * The span a call to the sidecar's API (a path after /v1.0) is: its name
 * (the operation and what it acts on, never a key), kind and attributes, by
 * OpenTelemetry's database, messaging and RPC conventions. Undefined for the
 * health check, which is not traced.
 */
export function describeCall(method: string, path: string): ({ name: string } & Pick<SpanOptions, "kind" | "attributes">) | undefined {
  const [api, first, second] = path.split("?")[0]!.split("/").filter(Boolean).map(decodeURIComponent);
  switch (api) {
    case "state": {
      const operation = second === "bulk" ? "get" : second === "transaction" ? "transaction" : method === "DELETE" ? "delete" : method === "GET" ? "get" : "save";
      return { name: `state ${operation} ${first}`, kind: SpanKind.CLIENT, attributes: { "db.system.name": "dapr", "db.collection.name": first, "db.operation.name": operation } };
    }
    case "publish":
      return {
        name: `send ${second}`,
        kind: SpanKind.PRODUCER,
        attributes: { "messaging.system": "dapr", "messaging.operation.type": "send", "messaging.destination.name": second, "dapr.component": first },
      };
    case "invoke":
      return { name: `invoke ${first}`, kind: SpanKind.CLIENT, attributes: { "rpc.system": "dapr", "rpc.service": first, "dapr.app_id": first } };
    case "bindings":
      return { name: `binding ${first}`, kind: SpanKind.CLIENT, attributes: { "dapr.component": first } };
    case "secrets":
      return { name: `secret ${first}`, kind: SpanKind.CLIENT, attributes: { "dapr.component": first } };
    case "healthz":
      return undefined;
    default:
      return { name: `dapr ${api}`, kind: SpanKind.CLIENT };
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
  // PostgreSQL's first-write save of a key that exists: a conflict like any
  // other, though Dapr 1.18's component reports it untyped (Redis' is an
  // etag mismatch). Seen with two replicas writing one order.
  if (status === 500 && /no item was updated/i.test(detail)) return new EtagMismatchError(`${what}: ${detail}`, key, err);
  return new DaprError(`${what} failed (${status}): ${detail}`, { status, code, cause: err });
}
