/**
 * Forwarding public API calls to the service that owns the resource, through
 * Dapr service invocation. The service's status, Location and problem+json
 * body reach the client as they are; failures of the invocation itself
 * (sidecar or app down) become 503/504 problems that name the service only.
 */
import { Buffer } from "node:buffer";
import type { Context } from "koa";
import { requestLog } from "../kit/http/request-context.ts";
import { DaprTimeoutError, DaprUnavailableError } from "../kit/ports/errors.ts";
import type { ServiceInvoker } from "../kit/ports/ports.ts";
import { HttpProblem } from "../kit/http/problems.ts";
import type { Upstreams } from "./config.ts";
import { GatewayProblems } from "./errors.ts";

/** Which service owns each top-level resource of /api/v1. */
export function resourceOwners(upstreams: Upstreams): Record<string, string> {
  return {
    orders: upstreams.order,
    inventory: upstreams.inventory,
    payments: upstreams.payment,
    shipments: upstreams.tracking,
    track: upstreams.tracking,
    notifications: upstreams.notification,
  };
}

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

export async function forward(
  ctx: Context,
  invoker: ServiceInvoker,
  appId: string,
  timeoutMs: number,
): Promise<void> {
  const headers: Record<string, string> = { "x-request-id": ctx.state.requestId as string };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = ctx.get(name);
    if (value) headers[name] = value;
  }
  const parsed = (ctx.request as { body?: unknown }).body;
  const body = parsed === undefined ? undefined : JSON.stringify(parsed);
  if (body !== undefined) headers["content-type"] = "application/json";
  const path = ctx.originalUrl.replace(/^\/+/, "");

  let response;
  try {
    response = await invoker.invoke(appId, { method: ctx.method, path, headers, timeoutMs, ...(body !== undefined ? { body } : {}) });
  } catch (err) {
    if (err instanceof DaprTimeoutError) {
      throw new HttpProblem(GatewayProblems.upstreamTimeout, `The ${appId} service did not answer within ${timeoutMs} ms`);
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
  ctx.status = response.status;
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = response.headers.get(name);
    if (value) ctx.set(name, value);
  }
  ctx.body = response.body.byteLength > 0 ? Buffer.from(response.body) : null;
  if (response.body.byteLength === 0) ctx.status = response.status;
}
