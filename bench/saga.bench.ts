/**
 * The system's benchmark: it starts the whole system the way the tests do
 * (tests/support/system.ts, on ports of its own: offset 300), measures, and
 * stops it again, also on Ctrl-C or an error. It prints figures; it asserts
 * nothing about them.
 *
 *   npm run bench                      (about 10 minutes on 2 cores)
 *   BENCH_QUICK=1 npm run bench        (a smoke run of about 2 minutes)
 *
 * Measurements, each against a baseline taken in the same run:
 *   1. read latency at a fixed rate, open loop, four ways: the inventory app
 *      directly (the baseline), through its sidecar, through two sidecars,
 *      through the gateway (bench/measurements/reads.ts);
 *   2. the saga: created → confirmed latency at fixed order rates against
 *      the no-load latency, the backlog each leaves, and the highest rate
 *      sustained (bench/measurements/saga.ts); and over the same orders the
 *      read side's lag, event published → shown on the dashboard's live
 *      stream (bench/measurements/readside-lag.ts);
 *   3. intake: the highest rate of accepted orders, closed loop, through the
 *      gateway against the order app directly (bench/measurements/intake.ts);
 *   4. memory of every service and sidecar, idle and under that load, and the
 *      time to start (bench/measurements/memory.ts).
 *
 * The system is the default (RUNTIME=node, PUBSUB=redis, STATE=redis), or
 * what RUNTIME, PUBSUB and STATE say. BENCH_RUNTIMES="node deno" measures the
 * intake on each runtime, and BENCH_PUBSUB="redis rabbitmq kafka jetstream
 * mqtt" the saga on each pub/sub choice, one system each. The knobs are in
 * bench/support/config.ts. Tables go to stdout and to
 * .dapr/bench/results-<timestamp>.md; progress goes to stderr.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, homedir, loadavg } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { measureIntake, intakeByRuntime } from "./measurements/intake.ts";
import type { IntakeResult } from "./measurements/intake.ts";
import { logHealth, rssTable, startupTable } from "./measurements/memory.ts";
import { measureReads } from "./measurements/reads.ts";
import { measureSaga, sagaByBroker } from "./measurements/saga.ts";
import type { SagaResult } from "./measurements/saga.ts";
import { closeConnections } from "./support/http.ts";
import { otherLoad } from "./support/processes.ts";
import { startBench } from "./support/run.ts";
import { BENCH_PORTS, labelOf, ROOT, stockItem, takeBenchLock, withSystem } from "./support/system.ts";
import type { Choice, SystemUnderTest } from "./support/system.ts";

// Interruptions are handled below: the first stops the load and the system, a second exits.
const { config, report, controller, signal, began, resultsPath } = startBench("results", { onInterrupt: false });

let signals = 0;
for (const name of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(name, () => {
    signals += 1;
    if (signals === 1) {
      console.error(`\n[bench] ${name}: stopping the load and the system …`);
      controller.abort(new Error(`interrupted (${name})`));
      // If stopping hangs (the system still starting, say), exit anyway: the
      // harness ends every process it started when this process exits.
      setTimeout(() => finish(130), 60_000).unref();
    } else {
      console.error(`[bench] ${name} again: exiting now`);
      finish(130);
    }
  });
}

let releaseLock = () => {};
let finished = false;
function finish(code: number): never {
  releaseLock();
  if (!finished) {
    finished = true;
    report.text(`_Total time: ${((Date.now() - began) / 1000).toFixed(0)} s._`);
    report.write(resultsPath);
    console.error(`[bench] results written to ${relative(process.cwd(), resultsPath) || resultsPath}`);
  }
  closeConnections();
  process.exit(code);
}

/** A message without this checkout's location (the report names paths relative to the repository). */
function plain(message: string): string {
  return message.replaceAll(`${ROOT}/`, "").replaceAll(homedir(), "~");
}

function git(...args: string[]): string {
  const run = spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
  return run.status === 0 ? run.stdout.trimEnd() : "unknown";
}

/** Installs what a pub/sub or state choice needs (idempotent); undefined when it worked. */
function provision(choice: Choice): string | undefined {
  if (choice.pubsub === "redis" && choice.state === "redis") return undefined;
  console.error(`[bench] provisioning PUBSUB=${choice.pubsub} STATE=${choice.state} (deploy/scripts/provision.sh) …`);
  const run = spawnSync("bash", [join(ROOT, "deploy/scripts/provision.sh")], {
    cwd: ROOT,
    env: { ...process.env, PUBSUB: choice.pubsub, STATE: choice.state },
    stdio: ["ignore", 2, 2],
    timeout: 20 * 60_000,
  });
  return run.status === 0 ? undefined : `provisioning failed: PUBSUB=${choice.pubsub} bash deploy/scripts/provision.sh exited with ${run.status ?? run.signal} (its output is on stderr above)`;
}

async function stockSagaItems(sut: SystemUnderTest): Promise<string[]> {
  const skus = Array.from({ length: config.skus }, (_, i) => `BENCH-SAGA-${i + 1}`);
  for (const sku of skus) await stockItem(sut, sku, 100_000_000);
  return skus;
}

const INTAKE_SKU = "BENCH-INTAKE";

const systems: Array<{ label: string; startupMs?: number; note?: string }> = [];
const intakes: Array<{ runtime: string; intake?: IntakeResult; note?: string }> = [];
const sagas: Array<{ pubsub: string; saga?: SagaResult; startupMs?: number; note?: string }> = [];

async function main(): Promise<void> {
  releaseLock = takeBenchLock();
  const primary: Choice = { runtime: config.runtime, pubsub: config.pubsub, state: config.state };
  const busy = otherLoad();
  // What the build measured differs from the commit in (tracked files only).
  const status = git("status", "--porcelain", "--untracked-files=no");
  const modified = status === "unknown" ? [] : status.split("\n").map((l) => l.slice(3).trim()).filter(Boolean);
  const changed = modified.length > 8 ? `${modified.slice(0, 8).join(", ")} and ${modified.length - 8} more` : modified.join(", ");
  report.text(
    [
      `## Benchmark ${new Date(began).toISOString()}${config.quick ? " (BENCH_QUICK)" : ""}`,
      "",
      `- commit ${git("rev-parse", "--short", "HEAD")}${changed ? ` with uncommitted changes to ${changed}` : ""}; Node.js ${process.version}; ${cpus().length} × ${cpus()[0]?.model.trim() ?? "CPU"}; load average at start ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
      `- system: ${labelOf(primary)}; apps on 127.0.0.1:${8000 + BENCH_PORTS.portOffset}–${8005 + BENCH_PORTS.portOffset}, sidecars ${3500 + BENCH_PORTS.portOffset}–${3505 + BENCH_PORTS.portOffset}, servers at their port + ${BENCH_PORTS.serverPortOffset}; both API tokens on; RESERVATION_TTL_SECONDS at its default`,
      `- ${config.settleMs / 1000} s pause once healthy; reads ${config.readRate} req/s × ${config.readMs / 1000} s per path; saga ${config.sagaRates.join(", ")} orders/s × ${config.sagaMs / 1000} s, no-load ${config.baselineOrders} orders, sustain window ${config.sustainMs / 1000} s within ${config.sustainBudgetMs / 1000} s, drain deadline ${config.drainMs / 1000} s; intake ${config.intakeClients.join(", ")} clients × ${config.intakeMs / 1000} s`,
      `- other load at start: ${busy ?? "none seen (no npm test running)"}`,
    ].join("\n"),
  );
  if (!existsSync(join(process.env.DAPR_RUNTIME_PATH ?? homedir(), ".dapr", "bin", "daprd"))) {
    throw new Error("daprd is missing from ~/.dapr/bin: run `npm run provision` first");
  }
  const failed = provision(primary);
  if (failed) throw new Error(failed);

  await withSystem(primary, signal, async (sut) => {
    systems.push({ label: sut.label, startupMs: sut.startupMs });
    const skus = await stockSagaItems(sut);
    await stockItem(sut, INTAKE_SKU, 100_000_000);
    await delay(config.settleMs, undefined, { signal });
    sut.rss.snapshotIdle();
    await measureReads(sut, config, report, skus[0]!);
    const saga = await measureSaga(sut, config, report, skus);
    sagas.push({ pubsub: primary.pubsub, saga, startupMs: sut.startupMs });
    const intake = await measureIntake(sut, config, report, INTAKE_SKU);
    intakes.push({ runtime: primary.runtime, intake });
    rssTable(report, sut, "the reads, the saga windows (and their settling) and the intake runs");
    await logHealth(report, sut);
  });

  for (const runtime of config.runtimes.filter((r) => r !== primary.runtime)) {
    const choice = { ...primary, runtime };
    try {
      await withSystem(choice, signal, async (sut) => {
        systems.push({ label: sut.label, startupMs: sut.startupMs });
        await stockItem(sut, INTAKE_SKU, 100_000_000);
        await delay(config.settleMs, undefined, { signal });
        sut.rss.snapshotIdle();
        intakes.push({ runtime, intake: await measureIntake(sut, config, report, INTAKE_SKU) });
        rssTable(report, sut, "the intake runs");
        await logHealth(report, sut);
      });
    } catch (err) {
      if (signal.aborted) throw err;
      const note = `failed: ${plain((err as Error).message.split("\n")[0] ?? "")}`;
      systems.push({ label: labelOf(choice), note });
      intakes.push({ runtime, note });
      report.text(`**${labelOf(choice)}: ${note}**`);
    }
  }

  for (const pubsub of config.pubsubs.filter((p) => p !== primary.pubsub)) {
    const choice = { ...primary, pubsub };
    const problem = provision(choice);
    if (problem) {
      systems.push({ label: labelOf(choice), note: problem });
      sagas.push({ pubsub, note: problem });
      report.text(`**${labelOf(choice)}: ${problem}**`);
      continue;
    }
    try {
      await withSystem(choice, signal, async (sut) => {
        systems.push({ label: sut.label, startupMs: sut.startupMs });
        const skus = await stockSagaItems(sut);
        await delay(config.settleMs, undefined, { signal });
        sut.rss.snapshotIdle();
        sagas.push({ pubsub, saga: await measureSaga(sut, config, report, skus), startupMs: sut.startupMs });
        rssTable(report, sut, "the saga windows and their settling");
        await logHealth(report, sut);
      });
    } catch (err) {
      if (signal.aborted) throw err;
      const note = `failed: ${plain((err as Error).message.split("\n")[0] ?? "")}`;
      systems.push({ label: labelOf(choice), note });
      sagas.push({ pubsub, note });
      report.text(`**${labelOf(choice)}: ${note}**`);
    }
  }

  if (config.runtimes.length > 1) intakeByRuntime(report, intakes);
  if (sagas.length > 1) sagaByBroker(report, sagas, config);
  startupTable(report, systems);
  const after = otherLoad();
  if (after) report.text(`Other load at the end: ${after}.`);
}

let code = 0;
try {
  await main();
} catch (err) {
  code = signal.aborted ? 130 : 1;
  const why = signal.aborted ? String((signal.reason as Error)?.message ?? signal.reason) : ((err as Error).stack ?? String(err));
  console.error(`[bench] ${signal.aborted ? "stopped" : "failed"}: ${why}`);
  report.text(`**Benchmark ${signal.aborted ? "interrupted" : "failed"}: ${plain(signal.aborted ? why : (err as Error).message)}.** The tables above are complete; the rest was not measured.`);
}
finish(code);
