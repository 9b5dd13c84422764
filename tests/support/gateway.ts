/**
 * What the gateway's buildApp takes besides its invoker and sidecar, as the
 * unit tests build it: the default upstreams and auth settings, the
 * development secrets, a store of its own and no rate limit.
 */
import { loadConfig } from "../../services/gateway/config.ts";
import { devSecrets, FakeStateStore } from "./fakes.ts";

export const upstreams = { order: "order", inventory: "inventory", payment: "payment", tracking: "tracking", notification: "notification", dashboard: "dashboard" };

export function gatewayDeps() {
  return {
    upstreams,
    upstreamTimeoutMs: 1000,
    secrets: devSecrets(),
    auth: loadConfig({}).auth,
    store: new FakeStateStore(),
    rateLimit: { limit: 0, windowMs: 60_000 },
    edge: loadConfig({}).edge,
  };
}
