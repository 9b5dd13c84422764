import { expect } from "chai";
import { Registry } from "prom-client";
import { domainEvent } from "../../../services/contracts/events.ts";
import { paymentMetrics } from "../../../services/payment/metrics.ts";
import { sample } from "../../support/metrics.ts";

describe("payment metrics", () => {
  it("counts payments by outcome, and their amounts, every outcome present from the start", async () => {
    const registry = new Registry();
    const observe = paymentMetrics(registry, "EUR");
    expect(await sample(registry, 'logistics_payments_total{outcome="refunded"}')).to.equal(0);
    const outcome = (type: "payment.captured" | "payment.declined" | "payment.refunded", amount: number) =>
      domainEvent(type, { order_id: "o", payment_id: "p", amount, currency: "EUR" });
    observe(outcome("payment.captured", 12.5));
    observe(outcome("payment.captured", 7.25));
    observe(outcome("payment.declined", 3));
    expect(await sample(registry, 'logistics_payments_total{outcome="captured"}')).to.equal(2);
    expect(await sample(registry, 'logistics_payments_amount_total{outcome="captured",currency="EUR"}')).to.equal(19.75);
    expect(await sample(registry, 'logistics_payments_total{outcome="declined"}')).to.equal(1);
  });
});
