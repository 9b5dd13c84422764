/** The events payment reacts to: reserved orders to charge, ended orders to settle. */
import { EVENTS } from "../contracts/events.ts";
import type { EventMap } from "../contracts/events.ts";
import { subscriptionsFor } from "../kit/events/handlers.ts";
import type { SubscriptionSpec } from "../kit/events/handlers.ts";
import type { Payments } from "./store.ts";

export function paymentSubscriptions(payments: Payments, currency: string, provider: { ready(): Promise<void> }): SubscriptionSpec[] {
  return subscriptionsFor<EventMap>(EVENTS, {
    "inventory.reserved": async ({ data }, log) => {
      await provider.ready();
      const result = await payments.charge(data.order_id, data.total_amount, data.currency, data.payment?.card_token);
      log.info({ order_id: data.order_id, result, amount: data.total_amount }, "charge decided");
    },
    "order.status_changed": {
      only: { status: ["cancelled", "failed"] },
      handle: async ({ data }, log) => {
        const result = await payments.settleEnded(data.order_id, data.order.currency ?? currency);
        log.info({ order_id: data.order_id, result }, "charge settled");
      },
    },
  });
}
