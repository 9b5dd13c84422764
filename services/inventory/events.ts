/** The events inventory reacts to: orders to reserve for, to ship, or to give back. */
import { EVENTS } from "../contracts/events.ts";
import type { EventMap } from "../contracts/events.ts";
import { subscriptionsFor } from "../kit/events/handlers.ts";
import type { SubscriptionSpec } from "../kit/events/handlers.ts";
import type { Inventory } from "./store.ts";

export function inventorySubscriptions(inventory: Inventory): SubscriptionSpec[] {
  return subscriptionsFor<EventMap>(EVENTS, {
    "order.created": async ({ data }, log) => {
      const result = await inventory.reserve(data.order_id, data.items, data.payment);
      log.info({ order_id: data.order_id, result }, "reservation decided");
    },
    // Stock leaves with the parcel; an order that ends otherwise gives it back.
    "order.status_changed": {
      only: { status: ["shipped", "cancelled", "failed"] },
      handle: async ({ data }, log) => {
        if (data.status === "shipped") {
          const result = await inventory.commitShipped(data.order_id);
          log.info({ order_id: data.order_id, result }, "reservation committed");
        } else {
          const reason = data.status === "cancelled" ? "cancelled" : data.reason === "reservation_expired" ? "reservation_expired" : "failed";
          const result = await inventory.release(data.order_id, reason);
          log.info({ order_id: data.order_id, result, reason }, "reservation released");
        }
      },
    },
    "payment.declined": async ({ data }, log) => {
      const result = await inventory.release(data.order_id, "payment_declined");
      log.info({ order_id: data.order_id, result }, "reservation released");
    },
  });
}
