/**
 * Read latency at a fixed rate, open loop: one cheap GET (an item of the
 * inventory) four ways, from the app itself to the public API, so each hop's
 * cost shows against the app answering directly. Each path is measured in two
 * halves, the second in reverse order, so that a drift in the machine's load
 * spreads over all paths alike.
 */
import { request } from "../support/http.ts";
import { openLoop } from "../support/load.ts";
import type { Shot } from "../support/load.ts";
import { cpuMsOf, machineCpu, otherLoad } from "../support/processes.ts";
import type { Report } from "../support/report.ts";
import { deltaMs, errorsCell, ms, summarize } from "../support/stats.ts";
import type { SystemUnderTest } from "../support/system.ts";
import type { BenchConfig } from "../support/config.ts";

/** Dapr's published sidecar overhead for a call through two sidecars (Dapr v1.0 performance summary: Kubernetes, 1,000 req/s, 1 KB payload, mTLS on). */
export const DAPR_PUBLISHED = { p90: 1.4, p99: 2.1 };

interface ReadPath {
  name: string;
  url: string;
  headers: Record<string, string>;
}

export async function measureReads(sut: SystemUnderTest, config: BenchConfig, report: Report, sku: string): Promise<void> {
  const { sys, signal } = sut;
  const item = `api/v1/inventory/${sku}`;
  const paths: ReadPath[] = [
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
  for (const path of paths) {
    const reply = await request(path.url, { headers: path.headers, signal });
    if (reply.status !== 200) throw new Error(`reads: ${path.name} answered ${reply.status}: ${reply.body.slice(0, 200)}`);
  }

  const disturbed = new Set<string>();
  const shots = new Map<string, Array<Shot<unknown>>>(paths.map((p) => [p.name, []]));
  // CPU used while each path ran: by the system's processes (ms), and the machine's busy share.
  const cpu = new Map(paths.map((p) => [p.name, { system: 0, busy: 0, total: 0 }]));
  const half = config.readMs / 2;
  for (const order of [paths, [...paths].reverse()]) {
    for (const path of order) {
      const send = async () => ({ status: (await request(path.url, { headers: path.headers, signal })).status });
      console.error(`[bench] reads: ${path.name}, ${config.readRate} req/s for ${(half / 1000).toFixed(1)} s (+ ${(config.warmupMs / 1000).toFixed(1)} s warm-up)`);
      await openLoop({ rate: config.readRate, durationMs: config.warmupMs, okStatus: 200, send, signal });
      const before = { system: cpuMsOf(sut.tracked), machine: machineCpu() };
      const run = await sut.rss.during(() => openLoop({ rate: config.readRate, durationMs: half, okStatus: 200, send, signal }));
      const used = cpu.get(path.name)!;
      const machine = machineCpu();
      used.system += cpuMsOf(sut.tracked) - before.system;
      used.busy += machine.busy - before.machine.busy;
      used.total += machine.total - before.machine.total;
      shots.get(path.name)!.push(...run.shots);
      const busy = otherLoad();
      if (busy) disturbed.add(busy);
    }
  }

  const results = paths.map((path) => {
    const all = shots.get(path.name)!;
    const errors = new Map<string, number>();
    for (const s of all) if (!s.ok) errors.set(s.kind, (errors.get(s.kind) ?? 0) + 1);
    return { path, count: all.length, latency: summarize(all.filter((s) => s.ok).map((s) => s.latencyMs)), lag: summarize(all.map((s) => s.sendLagMs)), errors, cpu: cpu.get(path.name)! };
  });
  const direct = results[0]!.latency;
  report.table(
    `Read latency: GET /api/v1/inventory/{sku} at ${config.readRate} req/s, open loop, ${(config.readMs / 1000).toFixed(0)} s per path (${sut.label})`,
    ["path", "requests", "p50", "p90", "p99", "errors", "overhead vs direct p90", "overhead vs direct p99", "Dapr published (two sidecars)", "system CPU per request", "machine CPU busy", "sender lag p99"],
    results.map((r, i) => [
      r.path.name,
      r.count,
      ms(r.latency.p50),
      ms(r.latency.p90),
      ms(r.latency.p99),
      errorsCell(r.errors),
      i === 0 ? "baseline" : deltaMs(r.latency.p90 - direct.p90),
      i === 0 ? "baseline" : deltaMs(r.latency.p99 - direct.p99),
      i === 2 ? `+${DAPR_PUBLISHED.p90.toFixed(2)} ms p90 / +${DAPR_PUBLISHED.p99.toFixed(2)} ms p99` : "",
      ms(r.cpu.system / r.count),
      `${((100 * r.cpu.busy) / Math.max(1, r.cpu.total)).toFixed(0)} %`,
      ms(r.lag.p99),
    ]),
    [
      "Latency is measured from each request's scheduled send time (coordinated omission avoided); percentiles are over the requests answered 200, errors counted apart.",
      "Sender lag: how late the generator sent (timer resolution, its own load); it is inside every latency above.",
      "System CPU per request: user + system CPU time of every process of the system (apps, sidecars, servers, placement, CLI) over the window, divided by the requests; machine CPU busy: share of all cores busy (the generator included), from /proc/stat. Near 100 %, latencies measure queueing for the cores.",
      "Dapr's figure: its v1.0 performance summary (Kubernetes, 1,000 req/s, 1 KB payload, mTLS, telemetry on): what the two sidecars add end to end. Here: loopback, no mTLS, and every process of the system shares the machine's cores with the load generator.",
      ...(disturbed.size > 0 ? [`Disturbed: ${[...disturbed].join("; ")} during this measurement.`] : []),
    ],
  );
}
