/** The gateway's app, built from its dependencies (real or fake). */
import type Koa from "koa";
import { createApp } from "../kit/http/app.ts";
import type { ReadinessCheck } from "../kit/http/probes.ts";
import type { SecretReader, ServiceInvoker, SidecarHealth, StateStore } from "../kit/ports/ports.ts";
import type { Logger } from "../kit/logger.ts";
import type { HttpMetrics } from "../kit/metrics.ts";
import { ApiKeys, Authenticator, issuerKeys } from "./auth.ts";
import { RateLimiter } from "./rate-limit.ts";
import type { AuthConfig, Upstreams } from "./config.ts";
import { cors, securityHeaders } from "./edge.ts";
import type { EdgeConfig } from "./edge.ts";
import { gatewayRoutes } from "./routes.ts";
import { Routes } from "./routing.ts";

export interface GatewayAppDeps {
  appId: string;
  logger: Logger;
  metrics: HttpMetrics;
  bodyLimitBytes: number;
  appApiToken?: string | undefined;
  invoker: ServiceInvoker;
  sidecar: SidecarHealth;
  upstreams: Upstreams;
  upstreamTimeoutMs: number;
  /** Where the API keys and the development issuer's JWKS are read from. */
  secrets: SecretReader;
  auth: AuthConfig;
  /** Where the rate limit counts requests, shared by every gateway replica. */
  store: StateStore;
  rateLimit: { limit: number; windowMs: number };
  /** Security headers and CORS (edge.ts). */
  edge: EdgeConfig;
  readiness?: ReadinessCheck[];
}

export function buildApp(deps: GatewayAppDeps): Koa {
  // Public clients call the gateway directly, not through a sidecar: it takes no app token.
  const app = createApp({ ...deps, appApiToken: undefined });
  const { auth, secrets } = deps;
  const authenticator = new Authenticator(new ApiKeys(secrets, auth.secretStoreName, auth.apiKeysSecret), {
    issuer: auth.issuer,
    audience: auth.audience,
    rolesClaim: auth.rolesClaim,
    keys: issuerKeys({ jwksUrl: auth.jwksUrl, secrets, store: auth.secretStoreName, secretName: auth.jwksSecret }),
  });
  const limiter = new RateLimiter({ ...deps.rateLimit, store: deps.store });
  const routes = new Routes();
  app.use(securityHeaders(deps.edge));
  app.use(cors(deps.edge, routes));
  app.use(gatewayRoutes({ ...deps, authenticator, limiter, routes }).routes());
  return app;
}
