/**
 * Intake: how many POST /api/v1/orders the system accepts per second, closed
 * loop with N clients, through the gateway and straight to the order app (the
 * baseline: the same work without the gateway and its two sidecar hops). The
 * two targets take turns at each client count, first one then the other, so
 * that the saga backlog the orders leave behind weighs on both alike.
 */
import { orderRequest } from "../../tests/e2e/shop.ts";
import type { BenchConfig } from "../support/config.ts";
import { request } from "../support/http.ts";
import { closedLoop } from "../support/load.ts";
import type { ClosedLoopResult } from "../support/load.ts";
import { otherLoad } from "../support/processes.ts";
import type { Report } from "../support/report.ts";
import { errorsCell, ms, perSecond } from "../support/stats.ts";
import type { SystemUnderTest } from "../support/system.ts";

export type Target = "gateway" | "order app direct";

export interface IntakeResult {
  label: string;
  runs: Array<{ target: Target; result: ClosedLoopResult }>;
  best: Record<Target, ClosedLoopResult | undefined>;
  disturbed: string[];
}

export async function measureIntake(sut: SystemUnderTest, config: BenchConfig, report: Report, sku: string): Promise<IntakeResult> {
  const { sys, signal } = sut;
  const urls: Record<Target, { url: string; headers: Record<string, string> }> = {
    gateway: { url: `${sys.gatewayUrl}/api/v1/orders`, headers: {} },
    "order app direct": { url: `http://127.0.0.1:${sys.appPort("order")}/api/v1/orders`, headers: { "dapr-api-token": sys.appApiToken } },
  };
  const runs: IntakeResult["runs"] = [];
  const disturbed = new Set<string>();
  let first: Target = "gateway";
  for (const clients of config.intakeClients) {
    for (const target of first === "gateway" ? (["gateway", "order app direct"] as const) : (["order app direct", "gateway"] as const)) {
      signal.throwIfAborted();
      console.error(`[bench] intake: ${target}, ${clients} client(s) for ${(config.intakeMs / 1000).toFixed(0)} s`);
      const { url, headers } = urls[target];
      const result = await sut.rss.during(() =>
        closedLoop({
          clients,
          durationMs: config.intakeMs,
          okStatus: 201,
          signal,
          send: async () => ({ status: (await request(url, { method: "POST", headers, body: orderRequest([{ sku, quantity: 1 }]), timeoutMs: 20_000, signal })).status }),
        }),
      );
      runs.push({ target, result });
      const busy = otherLoad();
      if (busy) disturbed.add(busy);
    }
    first = first === "gateway" ? "order app direct" : "gateway";
  }
  const best = (target: Target) =>
    runs.filter((r) => r.target === target).map((r) => r.result).sort((a, b) => b.throughput - a.throughput)[0];
  const result: IntakeResult = { label: sut.label, runs, best: { gateway: best("gateway"), "order app direct": best("order app direct") }, disturbed: [...disturbed] };
  const direct = result.best["order app direct"];
  report.table(
    `Intake: POST /api/v1/orders, closed loop, ${(config.intakeMs / 1000).toFixed(0)} s per client count (${sut.label})`,
    ["target", "clients", "accepted/s", "p50", "p99", "errors"],
    [
      ...runs.map(({ target, result: r }) => [target, r.clients, perSecond(r.throughput), ms(r.latency.p50), ms(r.latency.p99), errorsCell(r.errors)]),
      ...(["gateway", "order app direct"] as const).map((target) => {
        const b = result.best[target];
        return b ? [`**best: ${target}**`, b.clients, perSecond(b.throughput), ms(b.latency.p50), ms(b.latency.p99), errorsCell(b.errors)] : [target, "–", "–", "–", "–", "–"];
      }),
    ],
    [
      `Gateway vs direct at their best: ${result.best.gateway && direct ? `${((result.best.gateway.throughput / direct.throughput) * 100).toFixed(0)} % of the direct throughput, p99 ${ms(result.best.gateway.latency.p99)} against ${ms(direct.latency.p99)}` : "–"}.`,
      "Accepted/s counts 201 answers over the window (requests still in flight at its end included); latencies are of the 201 answers; errors are every other answer or failure.",
      "Every accepted order starts a saga: the backlog the first runs leave grows through the later ones (the targets take turns, so both carry it).",
      ...(result.disturbed.length > 0 ? [`Disturbed: ${result.disturbed.join("; ")} during this measurement.`] : []),
    ],
  );
  return result;
}

/** The best intake of each runtime side by side (BENCH_RUNTIMES="node deno"). */
export function intakeByRuntime(report: Report, results: Array<{ runtime: string; intake?: IntakeResult; note?: string }>): void {
  const node = results.find((r) => r.runtime === "node")?.intake;
  const rows = (["gateway", "order app direct"] as const).map((target) => {
    const cells: Array<string | number> = [target];
    for (const r of results) {
      const b = r.intake?.best[target];
      cells.push(b ? `${perSecond(b.throughput)} (${b.clients} clients), p99 ${ms(b.latency.p99)}, errors ${errorsCell(b.errors)}` : (r.note ?? "not measured"));
    }
    const deno = results.find((r) => r.runtime === "deno")?.intake?.best[target];
    const base = node?.best[target];
    cells.push(deno && base ? `req/s ${(deno.throughput / base.throughput).toFixed(2)}×, p99 ${(deno.latency.p99 / base.latency.p99).toFixed(2)}×` : "–");
    return cells;
  });
  report.table("Intake by runtime: best accepted/s and its p99", ["target", ...results.map((r) => r.runtime), "Deno/Node"], rows, [
    "Each runtime on a system of its own, started and stopped in this run; the same client counts and windows.",
  ]);
}
