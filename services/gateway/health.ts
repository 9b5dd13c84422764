/**
 * The aggregated health of the system as the gateway sees it: its own
 * sidecar, and each service reached through service invocation (which also
 * proves that service's sidecar answers).
 */
import type { ServiceInvoker, SidecarHealth } from "../kit/ports/ports.ts";

export interface ComponentHealth {
  status: "ok" | "down";
  latency_ms: number;
  reason?: string;
}

export interface SystemHealth {
  status: "ok" | "degraded";
  services: Record<string, ComponentHealth>;
}

async function timed(check: () => Promise<void>): Promise<ComponentHealth> {
  const start = performance.now();
  try {
    await check();
    return { status: "ok", latency_ms: Math.round(performance.now() - start) };
  } catch (err) {
    return { status: "down", latency_ms: Math.round(performance.now() - start), reason: (err as Error).message };
  }
}

export async function systemHealth(
  sidecar: SidecarHealth,
  invoker: ServiceInvoker,
  appIds: string[],
  timeoutMs = 2000,
): Promise<SystemHealth> {
  const checks: Array<[string, Promise<ComponentHealth>]> = [
    ["gateway-sidecar", timed(() => sidecar.check(timeoutMs))],
    ...appIds.map((appId): [string, Promise<ComponentHealth>] => [
      appId,
      timed(async () => {
        const response = await invoker.invoke(appId, { method: "GET", path: "healthz", timeoutMs });
        if (response.status !== 200) throw new Error(`healthz answered ${response.status}`);
      }),
    ]),
  ];
  const services: Record<string, ComponentHealth> = {};
  for (const [name, result] of checks) services[name] = await result;
  const ok = Object.values(services).every((s) => s.status === "ok");
  return { status: ok ? "ok" : "degraded", services };
}
