/** The public API: /api/v1/<resource>/... forwarded to the owning service, and /health. */
import Router from "@koa/router";
import type { ServiceInvoker, SidecarHealth } from "../kit/ports/ports.ts";
import { HttpProblem, KitProblems } from "../kit/http/problems.ts";
import type { Upstreams } from "./config.ts";
import { forward, resourceOwners } from "./forward.ts";
import { systemHealth } from "./health.ts";
import { openApiDocument } from "./openapi.ts";

export interface GatewayRoutesDeps {
  invoker: ServiceInvoker;
  sidecar: SidecarHealth;
  upstreams: Upstreams;
  upstreamTimeoutMs: number;
}

export function gatewayRoutes(deps: GatewayRoutesDeps): Router {
  const router = new Router();
  const owners = resourceOwners(deps.upstreams);

  router.get("/health", async (ctx) => {
    const health = await systemHealth(deps.sidecar, deps.invoker, Object.values(deps.upstreams));
    ctx.status = health.status === "ok" ? 200 : 503;
    ctx.body = health;
  });

  const openApi = openApiDocument();
  router.get("/openapi.json", (ctx) => {
    ctx.body = openApi;
  });

  router.all("/api/v1/:resource{/*rest}", async (ctx) => {
    const owner = owners[ctx.params.resource!];
    if (!owner) throw new HttpProblem(KitProblems.notFound, `No resource at ${ctx.path}`);
    await forward(ctx, deps.invoker, owner, deps.upstreamTimeoutMs);
  });

  return router;
}
