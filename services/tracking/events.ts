/** The events tracking reacts to: a confirmed order gets its shipment. */
import type { OrderStatusChangedData } from "../contracts/events.ts";
import { orderStatusChangedSchema, Topics } from "../contracts/events.ts";
import { eventData } from "../kit/dapr/subscriptions.ts";
import type { SubscriptionSpec } from "../kit/dapr/subscriptions.ts";
import type { Shipments } from "./store.ts";

const readStatusChanged = eventData<OrderStatusChangedData>("order.status_changed", orderStatusChangedSchema);

export function trackingSubscriptions(shipments: Shipments): SubscriptionSpec[] {
  return [
    {
      topic: Topics.orders,
      handlers: {
        "order.status_changed": async (event, log) => {
          const data = readStatusChanged(event);
          if (data.status !== "confirmed") return;
          const result = await shipments.createFor({
            order_id: data.order_id,
            origin_address: data.order.origin_address,
            destination_address: data.order.destination_address,
          });
          log.info({ order_id: data.order_id, result }, "shipment decided");
        },
      },
    },
  ];
}
