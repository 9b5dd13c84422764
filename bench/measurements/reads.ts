/**
 * Read latency at a fixed rate, open loop: one cheap GET (an item of the
 * inventory) four ways, from the app itself to the public API, so each hop's
 * cost shows against the app answering directly (bench/support/paths.ts).
 */
import { cpuCells, latencyCells, measurePaths } from "../support/paths.ts";
import type { RequestPath } from "../support/paths.ts";
import type { Report } from "../support/report.ts";
import { deltaMs, ms } from "../support/stats.ts";
import type { SystemUnderTest } from "../support/system.ts";
import type { BenchConfig } from "../support/config.ts";

/** Dapr's published sidecar overhead for a call through two sidecars (Dapr v1.0 performance summary: Kubernetes, 1,000 req/s, 1 KB payload, mTLS on). */
export const DAPR_PUBLISHED = { p90: 1.4, p99: 2.1 };

export async function measureReads(sut: SystemUnderTest, config: BenchConfig, report: Report, sku: string): Promise<void> {
  const { sys } = sut;
  const item = `api/v1/inventory/${sku}`;
  const paths: RequestPath[] = [
    { name: "app direct (inventory's own port)", url: `http://127.0.0.1:${sys.appPort("inventory")}/${item}`, headers: { "dapr-api-token": sys.appApiToken } },
    {
      name: "one sidecar (inventory's daprd → inventory)",
      url: `http://127.0.0.1:${sys.daprPort("inventory")}/v1.0/invoke/inventory/method/${item}`,
      headers: { "dapr-api-token": sys.daprApiToken },
    },
    {
      name: "two sidecars (gateway's daprd → inventory's daprd → inventory)",
      url: `http://127.0.0.1:${sys.daprPort("gateway")}/v1.0/invoke/inventory/method/${item}`,
      headers: { "dapr-api-token": sys.daprApiToken },
    },
    { name: "gateway public API (gateway → two sidecars → inventory)", url: `${sys.gatewayUrl}/${item}`, headers: {} },
  ];
  const disturbed = new Set<string>();
  const results = await measurePaths(sut, config, paths, "reads", disturbed);
  const direct = results[0]!.latency;
  report.table(
    `Read latency: GET /api/v1/inventory/{sku} at ${config.readRate} req/s, open loop, ${(config.readMs / 1000).toFixed(0)} s per path (${sut.label})`,
    ["path", "requests", "p50", "p90", "p99", "errors", "overhead vs direct p90", "overhead vs direct p99", "Dapr published (two sidecars)", "system CPU per request", "machine CPU busy", "sender lag p99"],
    results.map((r, i) => [
      ...latencyCells(r),
      i === 0 ? "baseline" : deltaMs(r.latency.p90 - direct.p90),
      i === 0 ? "baseline" : deltaMs(r.latency.p99 - direct.p99),
      i === 2 ? `+${DAPR_PUBLISHED.p90.toFixed(2)} ms p90 / +${DAPR_PUBLISHED.p99.toFixed(2)} ms p99` : "",
      ...cpuCells(r),
      ms(r.lag.p99),
    ]),
    [
      "Latency is measured from each request's scheduled send time (coordinated omission avoided); percentiles are over the requests answered 200, errors counted apart.",
      "Sender lag: how late the generator sent (timer resolution, its own load); it is inside every latency above.",
      "System CPU per request: user + system CPU time of every process of the system (apps, sidecars, servers, placement, CLI) over the window, divided by the requests; machine CPU busy: share of all cores busy (the generator included), from /proc/stat. Near 100 %, latencies measure queueing for the cores.",
      "Dapr's figure: its v1.0 performance summary (Kubernetes, 1,000 req/s, 1 KB payload, mTLS, telemetry on): what the two sidecars add end to end. Here: loopback, mTLS with sentry's certificates, and every process of the system shares the machine's cores with the load generator.",
      ...(disturbed.size > 0 ? [`Disturbed: ${[...disturbed].join("; ")} during this measurement.`] : []),
    ],
  );
}
