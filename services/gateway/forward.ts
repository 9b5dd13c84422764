/**
 * Forwarding public API calls to the service that owns the resource, through
 * Dapr service invocation. The service's status, Location and problem+json
 * body reach the client as they are; failures of the invocation itself
 * (sidecar or app down) become 503/504 problems that name the service only.
 */
import { Buffer } from "node:buffer";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { Context } from "koa";
import { requestLog } from "../kit/http/request-context.ts";
import { DaprTimeoutError, DaprUnavailableError } from "../kit/ports/errors.ts";
import type { InvokeRequest, InvokeResponse, ServiceInvoker } from "../kit/ports/ports.ts";
import { HttpProblem } from "../kit/http/problems.ts";
import { GatewayProblems } from "./errors.ts";

const FORWARDED_REQUEST_HEADERS = ["content-type", "accept", "idempotency-key", "x-request-id", "if-match"];
const FORWARDED_RESPONSE_HEADERS = ["content-type", "location", "etag", "retry-after"];

/** How Dapr words a call its timeout cut short. */
const DEADLINE = /deadline exceeded|DeadlineExceeded|timeout/i;

/** Whether a response is Dapr's own invocation error rather than the app's answer. */
function isDaprInvocationError(status: number, body: Uint8Array, headers: Headers): boolean {
  if (status < 500 || headers.get("content-type")?.includes("problem+json")) return false;
  try {
    const parsed = JSON.parse(new TextDecoder().decode(body)) as { errorCode?: string };
    return typeof parsed.errorCode === "string" && parsed.errorCode.startsWith("ERR_");
  } catch {
    return false;
  }
}

/**
 * Calls `appId` through the sidecar and answers its response; a failure of
 * the invocation itself (sidecar or app down, Dapr's timeout) becomes a
 * 503/504 problem naming the service only.
 */
export async function invokeUpstream(ctx: Context, invoker: ServiceInvoker, appId: string, request: InvokeRequest): Promise<InvokeResponse> {
  let response;
  try {
    response = await invoker.invoke(appId, request);
  } catch (err) {
    if (err instanceof DaprTimeoutError) {
      throw new HttpProblem(GatewayProblems.upstreamTimeout, `The ${appId} service did not answer within ${request.timeoutMs} ms`);
    }
    if (err instanceof DaprUnavailableError) {
      requestLog(ctx).error({ err, app_id: appId }, "gateway sidecar unreachable");
      throw new HttpProblem(GatewayProblems.upstreamUnavailable, `The ${appId} service cannot be reached`);
    }
    throw err;
  }
  if (isDaprInvocationError(response.status, response.body, response.headers)) {
    const dapr = new TextDecoder().decode(response.body);
    requestLog(ctx).warn({ app_id: appId, status: response.status, dapr }, "invocation failed");
    // Dapr's own timeout (the Resiliency policy's) fired while the service
    // worked on the request: whether it was applied is unknown, so not a 503,
    // which clients take as "nothing happened, retry".
    if (DEADLINE.test(dapr)) throw new HttpProblem(GatewayProblems.upstreamTimeout, `The ${appId} service did not answer in time`);
    throw new HttpProblem(GatewayProblems.upstreamUnavailable, `The ${appId} service cannot be reached`);
  }
  return response;
}

/** The headers of the request that go on to the service. */
function forwardedHeaders(ctx: Context): Record<string, string> {
  const headers: Record<string, string> = { "x-request-id": ctx.state.requestId as string };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    // Present but empty goes on too: the service decides what that means.
    const value = ctx.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  return headers;
}

/**
 * Forwards the request to `appId` as it came (the headers that matter, the
 * parsed body), at the same path or at `path`, and answers what it answers.
 */
export async function forward(ctx: Context, invoker: ServiceInvoker, appId: string, timeoutMs: number, path = ctx.originalUrl.replace(/^\/+/, "")): Promise<void> {
  const headers = forwardedHeaders(ctx);
  const parsed = (ctx.request as { body?: unknown }).body;
  const body = parsed === undefined ? undefined : JSON.stringify(parsed);
  if (body !== undefined) headers["content-type"] = "application/json";
  // HEAD goes on as GET; Koa leaves the body out of the answer.
  const method = ctx.method === "HEAD" ? "GET" : ctx.method;
  const response = await invokeUpstream(ctx, invoker, appId, { method, path, headers, timeoutMs, ...(body !== undefined ? { body } : {}) });
  ctx.status = response.status;
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value) ctx.set(name, value);
  }
  ctx.body = response.body.byteLength > 0 ? Buffer.from(response.body) : null;
  if (response.body.byteLength === 0) ctx.status = response.status;
}

/**
 * Forwards a GET whose answer is a stream that stays open (Server-Sent
 * Events), passing it on as it comes; the call to the service ends when the
 * client leaves. An answer other than 200 is read whole and answered as
 * forward() would.
 */
export async function forwardStream(ctx: Context, invoker: ServiceInvoker, appId: string, path = ctx.originalUrl.replace(/^\/+/, "")): Promise<void> {
  const leave = new AbortController();
  ctx.res.once("close", () => leave.abort());
  let response;
  try {
    response = await invoker.stream(appId, { method: "GET", path, headers: forwardedHeaders(ctx) }, leave.signal);
  } catch (err) {
    if (err instanceof DaprUnavailableError) {
      requestLog(ctx).error({ err, app_id: appId }, "gateway sidecar unreachable");
      throw new HttpProblem(GatewayProblems.upstreamUnavailable, `The ${appId} service cannot be reached`);
    }
    throw err;
  }
  const body = response.body;
  if (response.status !== 200 || !body) {
    const bytes = body ? new Uint8Array(await new Response(body).arrayBuffer()) : new Uint8Array();
    if (isDaprInvocationError(response.status, bytes, response.headers)) throw new HttpProblem(GatewayProblems.upstreamUnavailable, `The ${appId} service cannot be reached`);
    ctx.status = response.status;
    const type = response.headers.get("content-type");
    if (type) ctx.type = type;
    ctx.body = bytes.byteLength > 0 ? Buffer.from(bytes) : null;
    return;
  }
  ctx.req.socket?.setNoDelay?.(true);
  ctx.req.socket?.setTimeout?.(0);
  ctx.status = 200;
  ctx.set({ "content-type": response.headers.get("content-type") ?? "text/event-stream", "x-accel-buffering": "no" });
  // Written here rather than by Koa, which would send the headers only with
  // the first chunk: a client waits for them before it reads anything.
  ctx.respond = false;
  ctx.res.flushHeaders();
  // The service or its sidecar went away mid-stream: the client's stream ends too.
  pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), ctx.res).catch(() => ctx.res.destroy());
}
