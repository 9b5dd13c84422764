/**
 * The payment service's business metrics: payments captured, declined and
 * refunded, by count and by amount, counted as each outcome is committed.
 */
import { Counter } from "prom-client";
import type { Registry } from "prom-client";
import type { DomainEvent } from "../contracts/events.ts";

const OUTCOMES = { "payment.captured": "captured", "payment.declined": "declined", "payment.refunded": "refunded" } as const;

/** Registers the counters; answers the observer of the store's committed events that feeds them. */
export function paymentMetrics(registry: Registry, currency: string): (event: DomainEvent) => void {
  const payments = new Counter({
    name: "logistics_payments_total",
    help: "Payments by outcome: captured, declined, refunded",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const amount = new Counter({
    name: "logistics_payments_amount_total",
    help: "The amount of the payments of each outcome, in the currency's major unit",
    labelNames: ["outcome", "currency"] as const,
    registers: [registry],
  });
  for (const outcome of Object.values(OUTCOMES)) {
    payments.inc({ outcome }, 0);
    amount.inc({ outcome, currency }, 0);
  }
  return (event) => {
    if (event.type !== "payment.captured" && event.type !== "payment.declined" && event.type !== "payment.refunded") return;
    const outcome = OUTCOMES[event.type];
    payments.inc({ outcome });
    amount.inc({ outcome, currency: event.data.currency }, event.data.amount);
  };
}
