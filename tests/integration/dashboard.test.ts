/**
 * The read side end to end: orders placed through the gateway reach the
 * dashboard through the broker, are projected into MongoDB (this run's
 * FerretDB, its address read from the secret store), and are found through
 * the gateway by the summary and the search with their status and totals.
 */
import { expect } from "chai";
import { api, eventually, placeOrder, stock, unique, waitForStatus } from "../e2e/shop.ts";

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

  it("answers bad search parameters with 422 problem+json naming each", async () => {
    const res = await api().get("/api/v1/search/orders?status=lost&created_from=soon").expect(422);
    expect(res.headers["content-type"]).to.match(/application\/problem\+json/);
    expect((res.body as { errors: Array<{ field: string }> }).errors.map((e) => e.field).sort()).to.deep.equal(["created_from", "status"]);
  });
});
