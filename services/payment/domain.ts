/**
 * Charges and refunds, one charge per order. Pure: no I/O, no Dapr, no Koa.
 *
 * Cards are handled by test rules, like a payment provider's test mode:
 * `tok_declined` is declined for insufficient funds, `tok_requires_action`
 * waits for a customer authentication that never comes (the order's
 * reservation expires), and any other token, or none, is captured.
 */


import type { ChargeStatus } from "../contracts/api/payments.ts";
import { domainEvent } from "../contracts/events.ts";
import type { EventsOf } from "../contracts/events.ts";
export interface Charge {
  id: string;
  order_id: string;
  amount: number;
  currency: string;
  status: ChargeStatus;
  decline_reason?: string;
  created_at: string;
  updated_at: string;
  /** A voided charge that never was: the order ended before it could be charged. */
  tombstone?: boolean;
}

export const DECLINED_CARD = "tok_declined";
export const REQUIRES_ACTION_CARD = "tok_requires_action";

/** The outcome of charging `amount` for an order with the card `cardToken`. */
export function chargeOrder(orderId: string, amount: number, currency: string, cardToken: string | undefined, id: string, now: Date): Charge {
  const at = now.toISOString();
  const base = { id, order_id: orderId, amount, currency, created_at: at, updated_at: at };
  if (cardToken === DECLINED_CARD) return { ...base, status: "declined", decline_reason: "insufficient_funds" };
  if (cardToken === REQUIRES_ACTION_CARD) return { ...base, status: "requires_action" };
  return { ...base, status: "captured" };
}

export type Settlement =
  | { kind: "refund"; charge: Charge }
  | { kind: "void"; charge: Charge }
  | { kind: "tombstone"; charge: Charge }
  | { kind: "nothing" };

/**
 * What an order that ended without shipping (cancelled or failed) means for
 * its charge: captured money is refunded, a pending charge is voided, and an
 * order not charged yet gets a tombstone so that it never will be.
 */
export function settleEndedOrder(existing: Charge | undefined, orderId: string, id: string, currency: string, now: Date): Settlement {
  const at = now.toISOString();
  if (!existing) {
    return {
      kind: "tombstone",
      charge: { id, order_id: orderId, amount: 0, currency, status: "voided", created_at: at, updated_at: at, tombstone: true },
    };
  }
  if (existing.status === "captured") return { kind: "refund", charge: { ...existing, status: "refunded", updated_at: at } };
  if (existing.status === "requires_action") return { kind: "void", charge: { ...existing, status: "voided", updated_at: at } };
  return { kind: "nothing" };
}

/** The payment as clients see it. */
export function publicCharge(charge: Charge) {
  const { tombstone: _tombstone, ...visible } = charge;
  return visible;
}

/** An event payment emits. */
export type PaymentEvent = EventsOf<"payment.">;

/** What a charge announces: captured, declined and refunded ones an event each; pending and voided ones nothing. */
export function paymentEvent(charge: Charge): PaymentEvent | undefined {
  if (charge.status !== "captured" && charge.status !== "declined" && charge.status !== "refunded") return undefined;
  return domainEvent(`payment.${charge.status}` as const, {
    order_id: charge.order_id,
    payment_id: charge.id,
    amount: charge.amount,
    currency: charge.currency,
    ...(charge.decline_reason ? { decline_reason: charge.decline_reason } : {}),
  });
}
