/**
 * The read side end to end: orders placed through the gateway reach the
 * dashboard through the broker, are projected into MongoDB (this run's
 * FerretDB, its address read from the secret store), and are found through
 * the gateway by the summary and the search with their status and totals.
 */
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { api, eventually, placeOrder, stock, unique, waitForStatus } from "../e2e/shop.ts";
import { system } from "../support/system-hooks.ts";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");

/** Runs the operator's rebuild command against this run's gateway; its exit code and output. */
function rebuildCommand(): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(root, "deploy/scripts/rebuild-read-side.mjs"), "--gateway", system().gatewayUrl], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.on("exit", (code) => done({ code, output }));
  });
}

interface OrderView {
  id: string;
  status: string;
  total_amount?: number;
  currency?: string;
  customer_email: string;
  payment?: { status: string; amount: number };
  shipment?: { courier: string };
  history: Array<{ status: string }>;
}

async function search(query: string): Promise<{ items: OrderView[]; total: number; page: number; page_size: number }> {
  return (await api().get(`/api/v1/search/orders?${query}`).expect(200)).body;
}

describe("the read side (dashboard on MongoDB) through the gateway", () => {
  it("finds orders placed through the gateway with their status, totals, payment and shipment", async function () {
    this.timeout(90_000);
    const sku = await stock(3, 4.5, 2);
    const email = `${unique("reader")}@example.com`.toLowerCase();
    const confirmed = await placeOrder([{ sku, quantity: 2 }], { email });
    const declined = await placeOrder([{ sku, quantity: 1 }], { email, card: "tok_declined" });
    await waitForStatus(confirmed.id, "confirmed");
    await waitForStatus(declined.id, "failed");

    const found = await eventually(
      () => search(`customer=${encodeURIComponent(email.toUpperCase())}&sort=created_at`),
      // Each view fills in as its events arrive, from several topics and in any order.
      (page) =>
        page.total === 2 &&
        page.items.some((o) => o.status === "confirmed" && o.shipment && o.payment && o.history.length === 3) &&
        page.items.some((o) => o.status === "failed" && o.payment),
      30_000,
    );
    const [first, second] = found.items;
    expect(first).to.deep.include({ id: confirmed.id, status: "confirmed", total_amount: 9, currency: "EUR", customer_email: email });
    expect(first!.payment).to.include({ status: "captured", amount: 9 });
    expect(first!.history.map((h) => h.status)).to.deep.equal(["pending", "processing", "confirmed"]);
    expect(second).to.deep.include({ id: declined.id, status: "failed" });
    expect(second!.payment).to.include({ status: "declined" });

    expect((await search(`sku=${sku}&status=confirmed`)).items.map((o) => o.id)).to.deep.equal([confirmed.id]);
    expect((await search(`q=${confirmed.id}`)).items.map((o) => o.id)).to.deep.equal([confirmed.id]);

    // The summary counts them, and the SKU that fell to its threshold.
    const summary = (await api().get("/api/v1/dashboard/summary").expect(200)).body as {
      orders_by_status: Record<string, number>;
      last_hour: { created: number; confirmed: number; failed: number; revenue: number };
      saga_latency_ms: { p50: number | null; samples: number };
      low_stock: Array<{ sku: string; available: number }>;
    };
    expect(summary.orders_by_status.confirmed).to.be.at.least(1);
    expect(summary.last_hour.created).to.be.at.least(2);
    expect(summary.last_hour.revenue).to.be.at.least(9);
    expect(summary.saga_latency_ms.samples).to.be.at.least(1);
    expect(summary.saga_latency_ms.p50).to.be.a("number");
    expect(summary.low_stock.map((s) => s.sku)).to.include(sku);
  });

  it("rebuilds its views from the services' APIs to what the events made them (npm run rebuild:read-side)", async function () {
    this.timeout(120_000);
    const sku = await stock(5, 2, 0);
    const email = `${unique("rebuilt")}@example.com`.toLowerCase();
    const confirmed = await placeOrder([{ sku, quantity: 2 }], { email });
    const declined = await placeOrder([{ sku, quantity: 1 }], { email, card: "tok_declined" });
    await waitForStatus(confirmed.id, "confirmed");
    await waitForStatus(declined.id, "failed");
    // Both orders as far as the rebuild will know them: the declined one's
    // failure and the confirmed one's shipment projected, each past its
    // first three statuses (events of several topics arrive in any order).
    const projected = await eventually(
      () => search(`customer=${encodeURIComponent(email)}&sort=created_at`),
      (page) =>
        page.total === 2 &&
        page.items.every((o) => o.payment && o.history.length >= 3) &&
        page.items.some((o) => ["confirmed", "shipped", "delivered"].includes(o.status) && o.shipment) &&
        page.items.some((o) => o.status === "failed"),
      30_000,
    );
    const counted = (summary: { orders_by_status: Record<string, number> }) => Object.values(summary.orders_by_status).reduce((n, c) => n + c, 0);
    const summary = async () => (await api().get("/api/v1/dashboard/summary").expect(200)).body as { orders_by_status: Record<string, number> };
    // The read side counts every order the order service lists. Not at every
    // instant: an order that moves on (the courier's progress goes on in the
    // background) leaves one status's tally and joins the next in two
    // writes, and a summary read between them is one off.
    const countedAs = async (orders: number, when: string) =>
      eventually(summary, (s) => counted(s) === orders, 30_000).catch(async () => {
        throw new Error(`${when}: the read side counts ${counted(await summary())} orders, the order service lists ${orders}`);
      });
    const listed = ((await api().get("/api/v1/orders?page=1&page_size=1").expect(200)).body as { total: number }).total;
    await countedAs(listed, "before the rebuild");

    const run = await rebuildCommand();
    expect(run.code, run.output).to.equal(0);
    expect(run.output).to.match(/done: \d+ SKUs, \d+ of \d+ orders/);
    const state = (await api().get("/api/v1/dashboard/rebuild").expect(200)).body as { state: string; orders: number; orders_total: number };
    expect(state.state).to.equal("done");
    expect(state.orders).to.be.at.least(state.orders_total);

    // The same orders, as the events had made them (the courier may have moved the parcel on meanwhile).
    const rebuilt = await search(`customer=${encodeURIComponent(email)}&sort=created_at`);
    // The statuses each went through (the order of two entries of one instant is not kept alike).
    const essentials = (o: OrderView) => ({ id: o.id, total_amount: o.total_amount, payment: o.payment?.status, courier: o.shipment?.courier, history: o.history.slice(0, 3).map((h) => h.status).sort() });
    expect(rebuilt.items.map(essentials)).to.deep.equal(projected.items.map(essentials));
    expect(rebuilt.items[1]!.status).to.equal("failed");
    expect(rebuilt.items[0]!.status).to.be.oneOf(["confirmed", "shipped", "delivered"]);
    // Every order counted again, once.
    expect(state.orders_total).to.equal(listed);
    await countedAs(state.orders_total, "after the rebuild");
    // One at a time.
    const both = await Promise.all([api().post("/api/v1/dashboard/rebuild"), api().post("/api/v1/dashboard/rebuild")]);
    expect(both.map((res) => res.status).sort()).to.deep.equal([202, 409]);
    await eventually(
      async () => (await api().get("/api/v1/dashboard/rebuild").expect(200)).body as { state: string },
      (s) => s.state !== "running",
      60_000,
    );
  });

  it("answers bad search parameters with 422 problem+json naming each", async () => {
    const res = await api().get("/api/v1/search/orders?status=lost&created_from=soon").expect(422);
    expect(res.headers["content-type"]).to.match(/application\/problem\+json/);
    expect((res.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field).sort()).to.deep.equal(["created_from", "status"]);
  });
});
