/**
 * The business metrics on the services' /metrics, after orders whose outcome
 * the test knows: orders created and by status (from the order service's
 * state), the saga's duration, payments by outcome and amount, the stock and
 * low-stock alerts of a SKU. Counters kept in memory are summed over the
 * replicas of a service; values read from state are the same on each. With
 * a Prometheus in the run, it has them too.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { parse } from "yaml";
import { ORDER_STATUSES } from "../../services/contracts/api/orders.ts";
import { eventually, placeOrder, stock, waitForStatus } from "../e2e/shop.ts";
import { scrapeTargets, valueOf } from "../support/metrics.ts";
import type { ScrapeTarget } from "../support/metrics.ts";
import { system } from "../support/system-hooks.ts";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");

/** Each replica's /metrics text. */
async function scrape(appId: string): Promise<string[]> {
  const ports = system().appPorts?.(appId) ?? [system().appPort(appId)];
  return Promise.all(ports.map(async (port) => (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(10_000) })).text()));
}

/** A counter summed over the replicas. */
async function counted(appId: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return (await scrape(appId)).reduce((sum, text) => sum + valueOf(text, name, labels), 0);
}

/**
 * A value read from state: every replica says the same once the state stops
 * changing. Each replica reads it when scraped, so two scrapes made while an
 * order is being written can straddle the write: wait for them to agree.
 */
async function stored(appId: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const read = async () => (await scrape(appId)).map((text) => valueOf(text, name, labels));
  const values = await eventually(read, (found) => new Set(found).size === 1, 15_000).catch(read);
  expect(new Set(values).size, `${name} on every replica of ${appId} (${values.join(", ")})`).to.equal(1);
  return values[0]!;
}

/** An instant query's result, from the run's Prometheus. */
async function query(promql: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const url = `${system().prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`;
  const body = (await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
  expect(body.status, promql).to.equal("success");
  return body.data.result;
}

/** The apps of the platform, each with its sidecar. */
const APPS = ["dashboard", "gateway", "inventory", "notification", "order", "payment", "tracking"];

/** Every rule of deploy/observability/prometheus/rules/, by its alert or record name. */
function ruleNames(): string[] {
  const dir = join(root, "deploy", "observability", "prometheus", "rules");
  return readdirSync(dir)
    .filter((name) => name.endsWith(".yml"))
    .flatMap((name) => (parse(readFileSync(join(dir, name), "utf8")) as { groups: Array<{ rules: Array<{ alert?: string; record?: string }> }> }).groups)
    .flatMap((group) => group.rules.map((rule) => (rule.alert ?? rule.record)!))
    .sort();
}

describe("business metrics", () => {
  it("are watched by the run's Prometheus with every alert and recording rule of the project, none failing", async function () {
    const prometheusUrl = system().prometheusUrl;
    if (!prometheusUrl) this.skip();
    interface Rule { name: string; health: string; lastError?: string }
    const body = (await (await fetch(`${prometheusUrl}/api/v1/rules`, { signal: AbortSignal.timeout(10_000) })).json()) as { data: { groups: Array<{ rules: Rule[] }> } };
    const loaded = body.data.groups.flatMap((group) => group.rules);
    expect(loaded.map((rule) => rule.name).sort()).to.deep.equal(ruleNames());
    // "unknown" until first evaluated; "err" names what Prometheus could not evaluate.
    expect(loaded.filter((rule) => rule.health === "err").map((rule) => `${rule.name}: ${rule.lastError}`)).to.deep.equal([]);
  });

  it("are scraped by the run's Prometheus from every app and every sidecar, each target up", async function () {
    const prometheusUrl = system().prometheusUrl;
    if (!prometheusUrl) this.skip();
    this.timeout(90_000);
    const targets = () => scrapeTargets(prometheusUrl!);
    const upApps = (found: ScrapeTarget[], job: string) => [...new Set(found.filter((t) => t.labels.job === job && t.health === "up").map((t) => t.labels.app_id))].sort();
    // A target is scraped within one interval of being found (2 s here, 15 s in compose and on a cluster).
    const found = await eventually(targets, (t) => upApps(t, "apps").length === APPS.length && upApps(t, "daprd").length === APPS.length && t.every((x) => x.health === "up"), 60_000).catch(() => targets());
    const down = found.filter((t) => t.health !== "up").map((t) => `${t.labels.job} ${t.labels.app_id} ${t.labels.instance}: ${t.health} ${t.lastError}`);
    expect(upApps(found, "apps"), `apps up (not up: ${down.join("; ") || "none"})`).to.deep.equal(APPS);
    expect(upApps(found, "daprd"), `sidecars up (not up: ${down.join("; ") || "none"})`).to.deep.equal(APPS);
    expect(down).to.deep.equal([]);
  });


  it("count the orders, payments and stock of known orders", async function () {
    this.timeout(120_000);
    const before = {
      created: await stored("order", "logistics_orders_created_total"),
      confirmed: await counted("order", "logistics_saga_duration_seconds_count", { outcome: "confirmed" }),
      failed: await counted("order", "logistics_saga_duration_seconds_count", { outcome: "failed" }),
      captured: await counted("payment", "logistics_payments_total", { outcome: "captured" }),
      capturedAmount: await counted("payment", "logistics_payments_amount_total", { outcome: "captured" }),
      declined: await counted("payment", "logistics_payments_total", { outcome: "declined" }),
    };
    // 5 on hand, alert below 3: the second order takes it to 2.
    const sku = await stock(5, 4.25, 3);
    const first = await placeOrder([{ sku, quantity: 1 }]);
    await waitForStatus(first.id, "confirmed");
    const second = await placeOrder([{ sku, quantity: 2 }]);
    const declined = await placeOrder([{ sku, quantity: 1 }], { card: "tok_declined" });
    await waitForStatus(second.id, "confirmed");
    await waitForStatus(declined.id, "failed");

    // Orders are listed (and so counted) just after they are answered.
    await eventually(() => stored("order", "logistics_orders_created_total"), (n) => n >= before.created + 3, 15_000);
    expect(await stored("order", "logistics_orders_created_total")).to.equal(before.created + 3);
    expect(await counted("order", "logistics_saga_duration_seconds_count", { outcome: "confirmed" })).to.be.at.least(before.confirmed + 2);
    expect(await counted("order", "logistics_saga_duration_seconds_count", { outcome: "failed" })).to.be.at.least(before.failed + 1);
    // Every order is in exactly one status list (the lists follow each change within moments).
    const inStatuses = async () => (await Promise.all(ORDER_STATUSES.map((status) => stored("order", "logistics_orders", { status })))).reduce((a, b) => a + b, 0);
    await eventually(inStatuses, (n) => n === before.created + 3, 15_000);

    expect(await counted("payment", "logistics_payments_total", { outcome: "captured" })).to.be.at.least(before.captured + 2);
    expect(await counted("payment", "logistics_payments_amount_total", { outcome: "captured" })).to.be.at.least(before.capturedAmount + 3 * 4.25 - 1e-9);
    expect(await counted("payment", "logistics_payments_total", { outcome: "declined" })).to.be.at.least(before.declined + 1);

    // The declined order's units come back when inventory hears of its failure, just after.
    await eventually(() => stored("inventory", "logistics_stock_available", { sku }), (n) => n === 2, 15_000);
    expect(await counted("inventory", "logistics_low_stock_events_total", { sku })).to.equal(1);

    if (!system().prometheusUrl) return;
    // Prometheus scrapes every 2 s in the local tests, every 15 s on a
    // cluster: it soon has the same values.
    const created = await stored("order", "logistics_orders_created_total");
    await eventually(() => query("max(logistics_orders_created_total)"), (r) => Number(r[0]?.value[1]) === created, 45_000);
    await eventually(() => query(`max(logistics_stock_available{sku="${sku}"})`), (r) => r.length === 1 && Number(r[0]!.value[1]) === 2, 45_000);
  });
});
