/** The events tracking reacts to: a confirmed order gets its shipment. */
import { EVENTS } from "../contracts/events.ts";
import type { EventMap } from "../contracts/events.ts";
import { subscriptionsFor } from "../kit/events/handlers.ts";
import type { SubscriptionSpec } from "../kit/events/handlers.ts";
import type { Shipments } from "./store.ts";

export function trackingSubscriptions(shipments: Shipments): SubscriptionSpec[] {
  return subscriptionsFor<EventMap>(EVENTS, {
    "order.status_changed": {
      only: { status: ["confirmed"] },
      handle: async ({ data }, log) => {
        const result = await shipments.createFor({
          order_id: data.order_id,
          origin_address: data.order.origin_address,
          destination_address: data.order.destination_address,
        });
        log.info({ order_id: data.order_id, result }, "shipment decided");
      },
    },
  });
}
