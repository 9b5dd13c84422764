/**
 * Authorization: may this caller call this operation, on this order or
 * shipment? Operators may call every operation that is not public. A
 * customer reaches only the orders placed with their email, and places
 * orders only in their own name; a courier reaches only the shipments
 * assigned to them. Someone else's order or shipment answers 404, as one
 * that does not exist does: its existence is not theirs to learn.
 */
import type { Context } from "koa";
import type { Matched } from "./routing.ts";
import type { Authenticator, Principal } from "./auth.ts";
import { roleFor } from "./auth.ts";
import { invokeUpstream } from "./forward.ts";
import { GatewayProblems } from "./errors.ts";
import type { ServiceInvoker } from "../kit/ports/ports.ts";
import { HttpProblem, KitProblems } from "../kit/http/problems.ts";
import type { Upstreams } from "./config.ts";

export interface AccessDeps {
  authenticator: Authenticator;
  invoker: ServiceInvoker;
  upstreams: Upstreams;
  upstreamTimeoutMs: number;
}

const sameEmail = (a: string | undefined, b: unknown) => typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();

/** The caller, once allowed to call `matched` (undefined for a public operation); 401, 403 or 404 otherwise. */
export async function authorize(ctx: Context, matched: Matched, deps: AccessDeps): Promise<Principal | undefined> {
  const { access } = matched.operation;
  if (access === "public") return undefined;
  const principal = await deps.authenticator.authenticate({
    apiKey: ctx.get("x-api-key") || undefined,
    authorization: ctx.get("authorization") || undefined,
  });
  const role = roleFor(principal, access);
  if (!role) {
    const held = principal.roles.length > 0 ? `the role ${principal.roles.join(", ")}` : "no role";
    throw new HttpProblem(GatewayProblems.forbidden, `${principal.subject} has ${held}; "${matched.operation.summary}" takes ${access.roles.join(" or ")}`);
  }
  if (role === "operator" || !access.own) return principal;

  if (access.own === "order" && role === "customer") {
    if (!principal.email) throw new HttpProblem(GatewayProblems.forbidden, `${principal.subject}'s credentials carry no email, and a customer's orders are found by it`);
    if (matched.operation.method === "post") {
      const body = (ctx.request as { body?: { customer_email?: unknown } }).body;
      // A body without the field is left to the order service's 422.
      if (body?.customer_email !== undefined && !sameEmail(principal.email, body.customer_email)) {
        throw new HttpProblem(GatewayProblems.forbidden, "A customer places orders in their own name: customer_email must be the email of the credentials");
      }
      return principal;
    }
    const order = await read(ctx, deps, deps.upstreams.order, `api/v1/orders/${encodeURIComponent(matched.params.id!)}`);
    if (!order || !sameEmail(principal.email, order.customer_email)) throw new HttpProblem(KitProblems.notFound, `No order ${matched.params.id}`);
    return principal;
  }
  if (access.own === "shipment" && role === "courier") {
    const shipment = await read(ctx, deps, deps.upstreams.tracking, `api/v1/shipments/${encodeURIComponent(matched.params.id!)}`);
    if (!shipment || shipment.courier !== principal.subject) throw new HttpProblem(KitProblems.notFound, `No shipment ${matched.params.id}`);
    return principal;
  }
  return principal;
}

/** A resource read from its service, or undefined when it answers 404. */
async function read(ctx: Context, deps: AccessDeps, appId: string, path: string): Promise<Record<string, unknown> | undefined> {
  const response = await invokeUpstream(ctx, deps.invoker, appId, {
    method: "GET",
    path,
    headers: { "x-request-id": ctx.state.requestId as string, accept: "application/json" },
    timeoutMs: deps.upstreamTimeoutMs,
  });
  if (response.status === 404) return undefined;
  if (response.status !== 200) throw new HttpProblem(GatewayProblems.upstreamUnavailable, `The ${appId} service could not say whose it is (${response.status})`);
  return JSON.parse(new TextDecoder().decode(response.body)) as Record<string, unknown>;
}
