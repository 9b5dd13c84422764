/**
 * What tracing costs: order intake through the gateway (closed loop, POST
 * /api/v1/orders) on a system with tracing off (the baseline: no collector,
 * the spans record nothing) and on a system whose every app and sidecar
 * sends its spans to Jaeger, in one run, on the benchmark's ports (offset
 * 300). The two take turns, twice, so that neither has the machine to
 * itself at a better moment. It prints figures; it asserts nothing.
 *
 *   npm run bench:tracing            (about 3 minutes)
 *
 * BENCH_TRACING_CLIENTS (default 16) and BENCH_TRACING_S (default 20) set
 * the intake's clients and window; BENCH_RUNTIMES the runtime (node).
 */
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { orderRequest } from "../tests/e2e/shop.ts";
import { closeConnections, request } from "./support/http.ts";
import { closedLoop } from "./support/load.ts";
import type { ClosedLoopResult } from "./support/load.ts";
import { startBench } from "./support/run.ts";
import { errorsCell, ms, perSecond } from "./support/stats.ts";
import { stockItem, takeBenchLock, withSystem } from "./support/system.ts";

const { config, report, signal: stop, resultsPath } = startBench("tracing");
const CLIENTS = Number(process.env.BENCH_TRACING_CLIENTS ?? 16);
const WINDOW_MS = Number(process.env.BENCH_TRACING_S ?? 20) * 1000;
const ROUNDS = 2;

type Mode = "off" | "on (Jaeger)";
const runs: Array<{ mode: Mode; round: number; result: ClosedLoopResult }> = [];

const release = takeBenchLock();
let code = 0;
try {
  const choice = { runtime: config.runtime, pubsub: config.pubsub, state: config.state };
  for (let round = 1; round <= ROUNDS; round++) {
    for (const mode of ["off", "on (Jaeger)"] as const) {
      await withSystem(
        choice,
        stop,
        async (sut) => {
          const { sys, signal } = sut;
          const sku = `TRACE-BENCH-${round}`;
          await stockItem(sut, sku, 1_000_000);
          await delay(config.settleMs, undefined, { signal });
          console.error(`[bench] tracing ${mode}, round ${round}: intake with ${CLIENTS} clients for ${WINDOW_MS / 1000} s`);
          const result = await closedLoop({
            clients: CLIENTS,
            durationMs: WINDOW_MS,
            okStatus: 201,
            signal,
            send: async () => ({ status: (await request(`${sys.gatewayUrl}/api/v1/orders`, { method: "POST", body: orderRequest([{ sku, quantity: 1 }]), timeoutMs: 20_000, signal })).status }),
          });
          closeConnections();
          runs.push({ mode, round, result });
        },
        {},
        { jaeger: mode !== "off" },
      );
    }
  }
  const best = (mode: Mode) => runs.filter((r) => r.mode === mode).map((r) => r.result).sort((a, b) => b.throughput - a.throughput)[0]!;
  const off = best("off");
  const on = best("on (Jaeger)");
  report.table(
    `Intake with tracing off and on: POST /api/v1/orders through the gateway, ${CLIENTS} clients, closed loop, ${WINDOW_MS / 1000} s (runtime ${choice.runtime}, pub/sub ${choice.pubsub}, state ${choice.state})`,
    ["tracing", "round", "accepted/s", "p50", "p99", "errors"],
    [
      ...runs.map((r) => [r.mode, r.round, perSecond(r.result.throughput), ms(r.result.latency.p50), ms(r.result.latency.p99), errorsCell(r.result.errors)]),
      ["**best off (baseline)**", "", perSecond(off.throughput), ms(off.latency.p50), ms(off.latency.p99), errorsCell(off.errors)],
      ["**best on**", "", perSecond(on.throughput), ms(on.latency.p50), ms(on.latency.p99), errorsCell(on.errors)],
    ],
    [
      `Tracing on keeps ${((on.throughput / off.throughput) * 100).toFixed(0)} % of the intake with it off; p99 ${ms(on.latency.p99)} against ${ms(off.latency.p99)}.`,
      "On: every app exports its spans (server, consumer, sidecar calls) over OTLP/HTTP in batches, and every sidecar its own (Configuration tracing.otel), all sampled. Off: no collector; the apps still carry the trace context.",
      "Each accepted order starts a saga, traced as well: about 370 spans an order in all (npm test's trace test prints one).",
    ],
  );
  report.write(resultsPath);
} catch (err) {
  console.error(`[bench] failed: ${(err as Error).stack ?? err}`);
  code = 1;
} finally {
  release();
}
process.exit(code);
