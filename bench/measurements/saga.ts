/**
 * The saga's speed: how long an order takes from `created` (pending) to
 * `confirmed` (reserved, priced and paid), at fixed order rates, against the
 * same run's no-load latency (one order at a time).
 *
 * Orders are placed open loop through the gateway. Nothing polls them while
 * the load runs: once the window ends, the list endpoint is polled until no
 * order is pending or processing (with a deadline), then each order is read
 * once and its history's timestamps (`history[].at`, the order service's
 * clock) give its latency and whether it was still unsettled when the window
 * ended.
 *
 * Then the highest rate sustained for a longer window: a short search that
 * steps the rate up while the backlog at the window's end stays under two
 * seconds' worth of orders and p99 under 5 s, and back down when it does not,
 * within a time budget.
 */
import { setTimeout as delay } from "node:timers/promises";
import { orderRequest } from "../../tests/e2e/shop.ts";
import type { OrderBody } from "../../tests/e2e/shop.ts";
import type { BenchConfig } from "../support/config.ts";
import { json, request } from "../support/http.ts";
import { openLoop } from "../support/load.ts";
import { cpuMsOf, otherLoad } from "../support/processes.ts";
import type { Report } from "../support/report.ts";
import { deltaMs, errorsCell, ms, perSecond, summarize } from "../support/stats.ts";
import type { Summary } from "../support/stats.ts";
import type { SystemUnderTest } from "../support/system.ts";
import { lagTable, ReadSideLag } from "./readside-lag.ts";
import type { LagRow } from "./readside-lag.ts";

/** Statuses an order does not leave by itself (the saga is done with it, for this benchmark). */
const SETTLED = new Set(["confirmed", "shipped", "delivered", "failed", "cancelled"]);

export interface SagaRow {
  label: string;
  /** CPU milliseconds each process of the system spent from the window's start until its orders settled. */
  cpuMs?: Map<string, number>;
  rate?: number;
  windowMs: number;
  sent: number;
  accepted: number;
  postErrors: Map<string, number>;
  post: Summary;
  confirmed: number;
  /** Failed or cancelled orders, by reason. */
  failed: Map<string, number>;
  /** Orders still pending or processing when the wait for them ended. */
  unfinished: number;
  /** The wait ended because no order settled any more. */
  stuck: boolean;
  /** The orders unsettled when the wait ended, by the status they were left in. */
  leftIn: Map<string, number>;
  latency: Summary;
  /** Accepted orders not yet settled when the window ended. */
  unsettledAtEnd: number;
  /** From the window's end to the last confirmation (≤ 0: all done within the window). */
  lastConfirmAfterEndMs: number;
  /** Confirmations per second within the window: the offered rate when the saga keeps up, its capacity when it does not. */
  confirmedPerS: number;
  /** How long the system took to settle everything after the window (the drain wait). */
  drainMs: number;
  drained: boolean;
  disturbed?: string;
}

export interface SustainStep {
  row: SagaRow;
  sustained: boolean;
  why: string;
}

export interface SagaResult {
  label: string;
  baseline: SagaRow;
  rows: SagaRow[];
  steps: SustainStep[];
  /** The highest rate sustained, and the lowest that was not. */
  highest?: number;
  lowestFailed?: number;
  searchNote?: string;
}

const at = (order: OrderBody, status: string) => {
  const entry = order.history.find((h) => h.status === status);
  return entry ? Date.parse(entry.at) : undefined;
};

/** Runs `fn` on every item, `limit` at a time. */
async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function postOrder(sut: SystemUnderTest, sku: string): Promise<{ status: number; value?: string }> {
  const reply = await request(`${sut.sys.gatewayUrl}/api/v1/orders`, { method: "POST", body: orderRequest([{ sku, quantity: 1 }]), timeoutMs: 20_000, signal: sut.signal });
  return { status: reply.status, ...(reply.status === 201 ? { value: (JSON.parse(reply.body) as { id: string }).id } : {}) };
}

async function orderOf(sut: SystemUnderTest, id: string): Promise<OrderBody> {
  return json<OrderBody>(`${sut.sys.gatewayUrl}/api/v1/orders/${id}`, { signal: sut.signal });
}

async function listTotal(sut: SystemUnderTest, status: string): Promise<number> {
  return (await json<{ total: number }>(`${sut.sys.gatewayUrl}/api/v1/orders?status=${status}&page_size=1`, { signal: sut.signal })).total;
}

interface Settled {
  orders: Map<string, OrderBody>;
  /** Orders not settled when the wait ended. */
  unfinished: number;
  /** Whether the wait ended because none settled any more (rather than at the deadline). */
  stuck: boolean;
}

/** How long the open orders may stay unchanged before settling calls the rest stuck (longer than Redis Streams' 30 s redelivery). */
const STUCK_MS = 45_000;

/** Orders pending or processing by the list totals; -1 when the system did not answer. */
async function openOrders(sut: SystemUnderTest): Promise<number> {
  return Promise.all([listTotal(sut, "pending"), listTotal(sut, "processing")]).then(([a, b]) => a + b, () => -1);
}

/**
 * Waits until the orders settle (or the deadline passes) and reads each once.
 * First the cheap list totals, each second: pending + processing back to what
 * they were before the window (orders an earlier window left behind), or no
 * change for STUCK_MS (nothing moves: the rest are stuck), or the deadline.
 * Then every order once; then those the listing had not caught up with, every
 * 2 s while some still settle.
 */
async function settle(sut: SystemUnderTest, ids: string[], deadline: number, openBefore: number): Promise<Settled> {
  let last = Number.NaN;
  let lastChange = Date.now();
  let stuck = false;
  while (Date.now() < deadline) {
    const open = await openOrders(sut);
    if (open === 0 || (open > 0 && open <= Math.max(0, openBefore))) break;
    if (open !== last) {
      last = open;
      lastChange = Date.now();
    } else if (Date.now() - lastChange > STUCK_MS) {
      stuck = true;
      break;
    }
    await delay(1000, undefined, { signal: sut.signal });
  }
  const orders = new Map<string, OrderBody>();
  let remaining = ids;
  let progressAt = Date.now();
  for (;;) {
    await eachLimit(remaining, 8, async (id) => {
      const order = await orderOf(sut, id).catch(() => undefined);
      if (order) orders.set(id, order);
    });
    sut.signal.throwIfAborted();
    const before = remaining.length;
    remaining = remaining.filter((id) => !SETTLED.has(orders.get(id)?.status ?? "unread"));
    if (remaining.length < before) progressAt = Date.now();
    if (remaining.length === 0 || stuck || Date.now() >= deadline) return { orders, unfinished: remaining.length, stuck };
    if (Date.now() - progressAt > 10_000) return { orders, unfinished: remaining.length, stuck: true };
    await delay(2000, undefined, { signal: sut.signal });
  }
}

function rowFrom(label: string, rate: number | undefined, windowMs: number, windowStart: number, windowEnd: number, sent: number, postErrors: Map<string, number>, post: Summary, ids: string[], settled: Settled, drainMs: number): SagaRow {
  const latencies: number[] = [];
  const failed = new Map<string, number>();
  let unsettledAtEnd = 0;
  let lastConfirm = Number.NEGATIVE_INFINITY;
  let confirmedInWindow = 0;
  const leftIn = new Map<string, number>();
  for (const id of ids) {
    const order = settled.orders.get(id);
    const status = order?.status ?? "unread";
    if (!SETTLED.has(status)) leftIn.set(status, (leftIn.get(status) ?? 0) + 1);
    if (!order) {
      // Never read back (the system did not answer): unsettled as far as anyone can tell.
      unsettledAtEnd += 1;
      continue;
    }
    const created = at(order, "pending");
    const confirmed = at(order, "confirmed");
    const ended = confirmed ?? at(order, "failed") ?? at(order, "cancelled");
    if (created !== undefined && confirmed !== undefined) latencies.push(confirmed - created);
    if (confirmed !== undefined && confirmed >= windowStart && confirmed <= windowEnd) confirmedInWindow += 1;
    if (confirmed !== undefined) lastConfirm = Math.max(lastConfirm, confirmed);
    if (order.status === "failed" || order.status === "cancelled") {
      const reason = `${order.status}${order.status_reason ? `: ${order.status_reason}` : ""}`;
      failed.set(reason, (failed.get(reason) ?? 0) + 1);
    }
    if (ended === undefined || ended > windowEnd) unsettledAtEnd += 1;
  }
  return {
    label,
    ...(rate !== undefined ? { rate } : {}),
    windowMs,
    sent,
    accepted: ids.length,
    postErrors,
    post,
    confirmed: latencies.length,
    failed,
    unfinished: settled.unfinished,
    stuck: settled.stuck,
    leftIn,
    latency: summarize(latencies),
    unsettledAtEnd,
    lastConfirmAfterEndMs: lastConfirm - windowEnd,
    confirmedPerS: windowEnd > windowStart ? confirmedInWindow / ((windowEnd - windowStart) / 1000) : Number.NaN,
    drainMs,
    drained: settled.unfinished === 0,
  };
}

/** How many orders go through first, unmeasured, so that the baseline is not the system's first orders (cold code paths). */
const BASELINE_WARMUP = 2;

/** One order at a time: each placed once the previous one is settled. */
async function baseline(sut: SystemUnderTest, config: BenchConfig, skus: string[]): Promise<SagaRow> {
  const ids: string[] = [];
  const posts: number[] = [];
  const postErrors = new Map<string, number>();
  const orders = new Map<string, OrderBody>();
  const started = Date.now();
  for (let i = -BASELINE_WARMUP; i < config.baselineOrders; i++) {
    const t0 = performance.now();
    const placed = await postOrder(sut, skus[Math.abs(i) % skus.length]!);
    const postMs = performance.now() - t0;
    if (!placed.value) {
      if (i >= 0) postErrors.set(String(placed.status), (postErrors.get(String(placed.status)) ?? 0) + 1);
      continue;
    }
    // Polling sets the pace only: the latency comes from the order's history.
    const deadline = Date.now() + 60_000;
    let order: OrderBody | undefined;
    do {
      await delay(100, undefined, { signal: sut.signal });
      order = (await orderOf(sut, placed.value).catch(() => undefined)) ?? order;
    } while (!SETTLED.has(order?.status ?? "unread") && Date.now() < deadline);
    if (!order) throw new Error(`saga baseline: order ${placed.value} could not be read back within 60 s`);
    if (i < 0) continue;
    posts.push(postMs);
    ids.push(placed.value);
    orders.set(order.id, order);
  }
  const unfinished = [...orders.values()].filter((o) => !SETTLED.has(o.status)).length;
  // No window: "at its end" is when the last order was read back.
  return rowFrom("no load (one order at a time)", undefined, Date.now() - started, started, started, ids.length + [...postErrors.values()].reduce((s, n) => s + n, 0), postErrors, summarize(posts), ids, { orders, unfinished, stuck: false }, 0);
}

/** Orders at `rate` for `windowMs`, open loop; then waits for them to settle and reads their histories. */
async function window(sut: SystemUnderTest, config: BenchConfig, skus: string[], rate: number, windowMs: number, label: string): Promise<SagaRow> {
  console.error(`[bench] saga: ${label}: ${rate} orders/s for ${(windowMs / 1000).toFixed(0)} s`);
  const disturbedBefore = otherLoad();
  const openBefore = await openOrders(sut);
  const cpuBefore = new Map(sut.tracked.map((t) => [t.name, cpuMsOf([t])]));
  const run = await sut.rss.during(() =>
    openLoop({ rate, durationMs: windowMs, okStatus: 201, signal: sut.signal, send: (i) => postOrder(sut, skus[i % skus.length]!) }),
  );
  const ids = run.shots.filter((s) => s.ok && s.value).map((s) => s.value!);
  const drainStart = Date.now();
  const settled = await sut.rss.during(() => settle(sut, ids, drainStart + config.drainMs, openBefore));
  const drainMs = Date.now() - drainStart;
  const cpuMs = new Map(sut.tracked.map((t) => [t.name, cpuMsOf([t]) - (cpuBefore.get(t.name) ?? 0)]));
  const row = { ...rowFrom(label, rate, windowMs, run.windowStart, run.windowEnd, run.shots.length, run.errors, run.latency, ids, settled, drainMs), cpuMs };
  const disturbed = disturbedBefore ?? otherLoad();
  return disturbed ? { ...row, disturbed } : row;
}

/** Whether a window's rate was sustained: backlog under 2 s of orders, p99 under 5 s, under 1 % of POSTs failing, every order settled in the end. */
export function judge(row: SagaRow): { sustained: boolean; why: string } {
  const rate = row.rate ?? 0;
  const errors = [...row.postErrors.values()].reduce((s, n) => s + n, 0);
  const reasons: string[] = [];
  if (row.unsettledAtEnd >= 2 * rate) reasons.push(`backlog ${row.unsettledAtEnd} ≥ ${Math.round(2 * rate)}`);
  if (row.latency.count === 0) reasons.push("no order confirmed");
  else if (!(row.latency.p99 < 5000)) reasons.push(`p99 ${ms(row.latency.p99)} ≥ 5 s`);
  if (errors > 0.01 * row.sent) reasons.push(`${errors} POST errors`);
  if (!row.drained) reasons.push(`${row.unfinished} unsettled when the wait ended`);
  return reasons.length === 0
    ? { sustained: true, why: `backlog ${row.unsettledAtEnd} < ${Math.round(2 * rate)}, p99 ${ms(row.latency.p99)}` }
    : { sustained: false, why: reasons.join("; ") };
}

export async function measureSaga(sut: SystemUnderTest, config: BenchConfig, report: Report, skus: string[]): Promise<SagaResult> {
  // The read side's lag over the same orders, from the live page's stream.
  const unmeasured = (err: Error) => {
    report.text(`**The read side's lag is not measured: ${err.message}**`);
    return undefined;
  };
  const lag = await ReadSideLag.throughGateway(sut).catch(unmeasured);
  const direct = lag && (await ReadSideLag.fromApp(sut).catch(unmeasured));
  const lagRows: LagRow[] = [];
  const caughtUp = async (label: string, from: number) => {
    if (!lag) return;
    await lag.quiet(3000, Date.now() + config.drainMs, sut.signal);
    const until = Date.now();
    lagRows.push({ ...lag.row(label, from, until), ...(direct ? { direct: direct.row(label, from, until).lag } : {}) });
  };
  console.error(`[bench] saga: no-load baseline, ${config.baselineOrders} orders one at a time`);
  const baseFrom = Date.now();
  const base = await baseline(sut, config, skus);
  await caughtUp("no load (one order at a time)", baseFrom);
  const rows: SagaRow[] = [];
  for (const rate of config.sagaRates) {
    const from = Date.now();
    rows.push(await window(sut, config, skus, rate, config.sagaMs, `${rate} orders/s`));
    await caughtUp(`${rate} orders/s`, from);
  }
  lag?.close();
  direct?.close();
  const result: SagaResult = { label: sut.label, baseline: base, rows, steps: [] };
  sagaTable(report, result, config);
  if (lagRows.length > 0) lagTable(report, lagRows);
  cpuTable(report, result);
  if (config.sustainBudgetMs > 0 && config.sustainMs > 0) await sustain(sut, config, report, skus, result);
  return result;
}

async function sustain(sut: SystemUnderTest, config: BenchConfig, report: Report, skus: string[], result: SagaResult): Promise<void> {
  const budgetEnd = Date.now() + config.sustainBudgetMs;
  // The short windows bracket the search: the highest rate they kept up with, the lowest they did not.
  const judged = result.rows.map((r) => ({ row: r, ...judge(r) }));
  const shortLo = Math.max(0, ...judged.filter((j) => j.sustained).map((j) => j.row.rate!));
  const shortFail = judged.filter((j) => !j.sustained).sort((a, b) => a.row.rate! - b.row.rate!)[0]?.row;
  let lo: number | undefined;
  let hi: number | undefined;
  // Start just under the saga's measured capacity when a short window overran it, else at the highest rate it kept up with.
  let rate = shortFail
    ? Math.max(shortLo, Math.min(shortFail.rate! - 1, Math.floor(0.9 * (Number.isFinite(shortFail.confirmedPerS) ? shortFail.confirmedPerS : shortFail.rate!))))
    : shortLo;
  rate = Math.max(1, rate);
  // A step costs its window plus the time to settle; the first step is always run.
  let stepCost = config.sustainMs + 10_000;
  while (result.steps.length === 0 || Date.now() + stepCost <= budgetEnd) {
    const t0 = Date.now();
    const row = await window(sut, config, skus, rate, config.sustainMs, `sustain ${rate}/s`);
    stepCost = Math.max(stepCost, Date.now() - t0);
    const verdict = judge(row);
    result.steps.push({ row, ...verdict });
    if (verdict.sustained) lo = Math.max(lo ?? 0, rate);
    else hi = Math.min(hi ?? Number.POSITIVE_INFINITY, rate);
    if (row.confirmed === 0 && row.accepted > 0) {
      result.searchNote = `stopped: not one order of the ${rate}/s step was confirmed: the saga no longer moves (see the unsettled orders and the logs table)`;
      break;
    }
    if (!row.drained && !row.stuck) {
      // They are still being worked on: a next step would compete with them.
      result.searchNote = `stopped: the orders of the ${rate}/s step were still settling at the ${(config.drainMs / 1000).toFixed(0)} s deadline`;
      break;
    }
    let next: number;
    if (hi === undefined) next = Math.ceil(rate * 1.5);
    else if (lo === undefined) next = Math.floor(shortLo > 0 && shortLo < rate ? (shortLo + rate) / 2 : rate * 0.7);
    else next = Math.round((lo + hi) / 2);
    next = Math.max(1, next);
    if ((lo !== undefined && hi !== undefined && hi - lo <= Math.max(1, lo * 0.1)) || next === rate || (lo === undefined && rate <= 1)) {
      result.searchNote = "converged";
      break;
    }
    rate = next;
  }
  result.searchNote ??= `time budget (${(config.sustainBudgetMs / 1000).toFixed(0)} s) spent`;
  if (lo !== undefined) result.highest = lo;
  if (hi !== undefined) result.lowestFailed = hi;
  const summary =
    lo !== undefined
      ? `highest rate sustained for ${(config.sustainMs / 1000).toFixed(0)} s: **${lo} orders/s**${hi !== undefined ? ` (${hi}/s was not)` : " (no higher rate was tried that failed)"}`
      : `no rate tried was sustained (lowest tried: ${hi}/s)`;
  report.table(
    `Saga: highest rate sustained for ${(config.sustainMs / 1000).toFixed(0)} s (${sut.label})`,
    ["rate", "accepted", "p50", "p99", "p99 vs no load", "unsettled at window end (limit)", "last confirmed after window end", "confirmed/s", "POST errors", "failed / unfinished", "sustained", "why"],
    result.steps.map(({ row, sustained, why }) => [
      `${row.rate}/s`,
      `${row.accepted}/${row.sent}`,
      ms(row.latency.p50),
      ms(row.latency.p99),
      deltaMs(row.latency.p99 - result.baseline.latency.p99),
      `${row.unsettledAtEnd} (< ${Math.round(2 * row.rate!)})`,
      lastConfirmedCell(row),
      perSecond(row.confirmedPerS),
      errorsCell(row.postErrors),
      failedCell(row),
      sustained ? "yes" : "no",
      why,
    ]),
    [
      `Result: ${summary}; search ${result.searchNote}.`,
      "Sustained: fewer orders unsettled at the window's end than 2 s worth at that rate, p99 created → confirmed under 5 s, under 1 % of POSTs failing, and every order settled in the end.",
      ...disturbedNotes(result.steps.map((s) => s.row)),
    ],
  );
}

function disturbedNotes(rows: SagaRow[]): string[] {
  const seen = [...new Set(rows.map((r) => r.disturbed).filter((d): d is string => d !== undefined))];
  return seen.length > 0 ? [`Disturbed: ${seen.join("; ")} during some of these windows.`] : [];
}

function lastConfirmedCell(row: SagaRow): string {
  if (!Number.isFinite(row.lastConfirmAfterEndMs)) return "none confirmed";
  return row.lastConfirmAfterEndMs > 0 ? ms(row.lastConfirmAfterEndMs) : "within the window";
}

function failedCell(row: SagaRow): string {
  const parts = [...row.failed.entries()].map(([reason, n]) => `${n} ${reason}`);
  if (row.unfinished > 0) {
    const left = [...row.leftIn.entries()].map(([status, n]) => `${n} ${status}`).join(", ");
    parts.push(`${row.unfinished} unsettled when the wait ended (${left}; ${row.stuck ? "stuck" : "drain deadline"})`);
  }
  return parts.length > 0 ? parts.join(", ") : "0";
}

function sagaTable(report: Report, result: SagaResult, config: BenchConfig): void {
  const base = result.baseline;
  report.table(
    `Saga: created → confirmed (${result.label})`,
    ["load", "orders accepted/sent", "p50", "p90", "p99", "p50 vs no load", "p99 vs no load", "unsettled at window end", "last confirmed after window end", "confirmed/s", "settle wait", "POST p99", "POST errors", "failed / unfinished"],
    [base, ...result.rows].map((row) => [
      row === base ? row.label : `${row.label} for ${(row.windowMs / 1000).toFixed(0)} s`,
      `${row.accepted}/${row.sent}`,
      ms(row.latency.p50),
      ms(row.latency.p90),
      ms(row.latency.p99),
      row === base ? "baseline" : deltaMs(row.latency.p50 - base.latency.p50),
      row === base ? "baseline" : deltaMs(row.latency.p99 - base.latency.p99),
      row === base ? "–" : String(row.unsettledAtEnd),
      row === base ? "–" : lastConfirmedCell(row),
      row === base ? "–" : perSecond(row.confirmedPerS),
      row === base ? "–" : ms(row.drainMs),
      ms(row.post.p99),
      errorsCell(row.postErrors),
      failedCell(row),
    ]),
    [
      `Orders: one line of 1 unit each, spread round robin over ${config.skus} stocked SKUs, placed through the gateway, open loop; latency from the order's history (pending → confirmed, the order service's clock).`,
      "Unsettled at window end: accepted orders not yet confirmed (or failed) when the last order of the window was due; last confirmed after window end: how long the system needed after that for the last one.",
      "Confirmed/s: orders confirmed within the window, per second: the offered rate while the saga keeps up, its capacity once it does not.",
      `Settle wait: from the window's end until every order was read back settled (list totals polled each second, then each order read once), an upper bound on the drain. It ends at the drain deadline, or as "stuck" once the count of pending and processing orders has not moved for ${STUCK_MS / 1000} s.`,
      ...(result.rows.some((r) => !r.drained)
        ? ["Unsettled when the wait ended: those orders' latencies are missing from the percentiles (the row is not a clean figure), and they were still pending or processing while the later windows ran: stuck orders cost those nothing, orders still moving compete with theirs. The logs table shows what became of their events (dead letters, outbox errors)."]
        : []),
      ...disturbedNotes(result.rows),
    ],
  );
}

/** One row per pub/sub choice (BENCH_PUBSUB). */
export function sagaByBroker(report: Report, results: Array<{ pubsub: string; saga?: SagaResult; startupMs?: number; note?: string }>, config: BenchConfig): void {
  report.table(
    "Saga by pub/sub choice: created → confirmed p50 / p99",
    ["pub/sub", "no load", ...config.sagaRates.map((r) => `${r} orders/s`), "unsettled at window end (per rate)", `highest sustained (${(config.sustainMs / 1000).toFixed(0)} s)`, "start → healthy"],
    results.map(({ pubsub, saga, startupMs, note }) => {
      if (!saga) return [pubsub, note ?? "not measured", ...config.sagaRates.map(() => "–"), "–", "–", startupMs !== undefined ? ms(startupMs) : "–"];
      const cells = config.sagaRates.map((rate) => {
        const row = saga.rows.find((r) => r.rate === rate);
        return row ? `${ms(row.latency.p50)} / ${ms(row.latency.p99)}` : "–";
      });
      const sustained = saga.highest !== undefined ? `${saga.highest}/s` : saga.lowestFailed !== undefined ? `< ${saga.lowestFailed}/s` : "not searched";
      return [
        pubsub,
        `${ms(saga.baseline.latency.p50)} / ${ms(saga.baseline.latency.p99)}`,
        ...cells,
        saga.rows.map((r) => `${r.rate}/s: ${r.unsettledAtEnd}`).join(", "),
        sustained,
        startupMs !== undefined ? ms(startupMs) : "–",
      ];
    }),
    ["Each choice on a system of its own (state store unchanged), started and stopped in this run."],
  );
}

/**
 * Where the time goes: CPU milliseconds per confirmed order, by process, over
 * the lowest rate's window and its settling (the saga keeping up, so the
 * figures are the work of an order, not of queueing).
 */
function cpuTable(report: Report, result: SagaResult): void {
  const row = result.rows.find((r) => r.cpuMs && r.confirmed > 0);
  if (!row?.cpuMs) return;
  const per = [...row.cpuMs].map(([name, ms]) => ({ name, ms: ms / row.confirmed })).sort((a, b) => b.ms - a.ms);
  const total = per.reduce((sum, p) => sum + p.ms, 0);
  const group = (test: (name: string) => boolean) => per.filter((p) => test(p.name)).reduce((sum, p) => sum + p.ms, 0);
  const sidecars = group((n) => n.endsWith(" daprd"));
  const servers = group((n) => /redis|rabbitmq|kafka|nats|mosquitto|postgres|placement|CLI/i.test(n));
  report.table(
    `Saga: CPU per confirmed order, by process (${row.label}, ${result.label})`,
    ["process", "CPU ms per order", "share"],
    [
      ...per.map((p) => [p.name, p.ms.toFixed(1), `${((100 * p.ms) / total).toFixed(0)} %`]),
      ["**all sidecars**", sidecars.toFixed(1), `${((100 * sidecars) / total).toFixed(0)} %`],
      ["**all services**", (total - sidecars - servers).toFixed(1), `${((100 * (total - sidecars - servers)) / total).toFixed(0)} %`],
      ["**servers and control plane**", servers.toFixed(1), `${((100 * servers) / total).toFixed(0)} %`],
      ["**everything**", total.toFixed(1), "100 %"],
    ],
    [
      `From the window's start until its ${row.confirmed} orders settled, divided by them. At 2 cores, the machine has 2,000 CPU ms per second: everything / 2,000 ms is the most orders per second it could confirm if nothing else ran.`,
    ],
  );
}
