/**
 * The probes every app answers: /healthz (liveness: the process serves),
 * /readyz (its dependencies, the sidecar first, answer) and /metrics
 * (Prometheus text).
 */
import type { Context, Next } from "koa";
import type { HttpMetrics } from "../metrics.ts";
import { runtimeName, runtimeVersion } from "../runtime.ts";
import { methodNotAllowed } from "./problems.ts";

/** The paths of the probes: never behind the token, never in the access log. */
export const PROBES: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/metrics"]);

/** A dependency /readyz waits for. */
export interface ReadinessCheck {
  name: string;
  /** Resolves when ready; throws (with a reason) when not. */
  check(): Promise<void>;
}

export function probes(options: { appId: string; metrics: HttpMetrics; readiness?: ReadinessCheck[] }) {
  const started = Date.now();
  return async function answerProbes(ctx: Context, next: Next): Promise<void> {
    if (ctx.method !== "GET" && ctx.method !== "HEAD") {
      if (PROBES.has(ctx.path)) throw methodNotAllowed(ctx.path, ["GET", "HEAD"]);
      return next();
    }
    if (ctx.path === "/healthz") {
      ctx.body = {
        status: "ok",
        app_id: options.appId,
        runtime: runtimeName(),
        runtime_version: runtimeVersion(),
        uptime_seconds: Math.round((Date.now() - started) / 1000),
      };
      return;
    }
    if (ctx.path === "/readyz") {
      const results = await Promise.all(
        (options.readiness ?? []).map(async (dep) => {
          try {
            await dep.check();
            return [dep.name, { status: "ok" }] as const;
          } catch (err) {
            return [dep.name, { status: "down", reason: (err as Error).message }] as const;
          }
        }),
      );
      const ready = results.every(([, result]) => result.status === "ok");
      ctx.status = ready ? 200 : 503;
      ctx.body = { status: ready ? "ok" : "unavailable", checks: Object.fromEntries(results) };
      return;
    }
    if (ctx.path === "/metrics") {
      ctx.type = options.metrics.registry.contentType;
      ctx.body = await options.metrics.registry.metrics();
      return;
    }
    return next();
  };
}
