/**
 * The public API: each /api/v1 request is matched to an operation of the
 * contract (routing.ts), its caller authorized (access.ts), and forwarded to
 * the owning service; and /health, /openapi.json.
 */
import Router from "@koa/router";
import type { ServiceInvoker, SidecarHealth } from "../kit/ports/ports.ts";
import { authorize } from "./access.ts";
import type { Authenticator } from "./auth.ts";
import type { Upstreams } from "./config.ts";
import { forward, forwardStream } from "./forward.ts";
import { systemHealth } from "./health.ts";
import { openApiDocument } from "./openapi.ts";
import { limitRate } from "./rate-limit.ts";
import type { RateLimiter } from "./rate-limit.ts";
import { parameterErrors } from "./routing.ts";
import type { Matched, Routes } from "./routing.ts";
import { HttpProblem, KitProblems, methodNotAllowed, validationProblem } from "../kit/http/problems.ts";

export interface GatewayRoutesDeps {
  invoker: ServiceInvoker;
  sidecar: SidecarHealth;
  upstreams: Upstreams;
  upstreamTimeoutMs: number;
  authenticator: Authenticator;
  limiter: RateLimiter;
  /** The contract's operations, matched by method and path. */
  routes: Routes;
}

/**
 * Where a matched call goes: the same path on the operation's service, or,
 * for an operation every service serves, the service its {service}
 * parameter names, at the operation's upstream path.
 */
export function upstreamOf(matched: Matched, upstreams: Upstreams, search: string): { appId: string; path?: string } {
  const { operation, params } = matched;
  const deployed = (service: string): string => {
    const appId = upstreams[service as keyof Upstreams];
    if (appId === "") throw new HttpProblem(KitProblems.unavailable, `No ${service} service is deployed here (its app id is set empty)`);
    return appId;
  };
  if (operation.service !== "each") return { appId: deployed(operation.service) };
  const service = params.service!;
  if (!Object.hasOwn(upstreams, service)) throw new HttpProblem(KitProblems.notFound, `No service ${service}`);
  const path = operation.upstream!.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]!));
  return { appId: deployed(service), path: `${path.slice(1)}${search}` };
}

/** What the live page may load: its own scripts, styles and the API, on this origin. */
export const PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function gatewayRoutes(deps: GatewayRoutesDeps): Router {
  const router = new Router();
  const { routes } = deps;

  router.get("/health", async (ctx) => {
    const health = await systemHealth(deps.sidecar, deps.invoker, Object.values(deps.upstreams).filter((appId) => appId !== ""));
    ctx.status = health.status === "ok" ? 200 : 503;
    ctx.body = health;
  });

  const openApi = openApiDocument();
  router.get("/openapi.json", (ctx) => {
    ctx.body = openApi;
  });

  // The read side's live page and its assets: public (they hold no data;
  // the page asks the API for it with the operator's token).
  router.get(["/dashboard", "/dashboard/assets/:name"], async (ctx) => {
    const appId = deps.upstreams.dashboard;
    if (appId === "") throw new HttpProblem(KitProblems.unavailable, "No dashboard service is deployed here (its app id is set empty)");
    await forward(ctx, deps.invoker, appId, deps.upstreamTimeoutMs);
    // Its own scripts and styles, and the API on this origin; nothing else.
    ctx.set("Content-Security-Policy", PAGE_POLICY);
    if (ctx.status === 200 && ctx.path !== "/dashboard") ctx.set("Cache-Control", "public, max-age=300");
  });

  // Any other method on those: 405, as the API's own paths answer.
  router.all(["/health", "/openapi.json", "/dashboard", "/dashboard/assets/:name"], (ctx) => {
    throw methodNotAllowed(ctx.path, ["GET", "HEAD"]);
  });

  router.all("/api/v1{/*rest}", async (ctx) => {
    const matched = routes.match(ctx.method, ctx.path);
    // Before authorization: checking that a customer owns an order looks
    // the order up, and an id no service can be asked about must not go out.
    const errors = parameterErrors(matched);
    if (errors.length > 0) throw validationProblem(errors);
    const principal = await authorize(ctx, matched, deps);
    if (principal) ctx.state.principal = principal;
    await limitRate(ctx, deps.limiter, principal);
    const { appId, path } = upstreamOf(matched, deps.upstreams, ctx.search);
    if (matched.operation.streams) await forwardStream(ctx, deps.invoker, appId, path);
    else await forward(ctx, deps.invoker, appId, deps.upstreamTimeoutMs, path);
  });

  return router;
}
