/** The events inventory reacts to: orders to reserve for, to ship, or to give back. */
import type { OrderCreatedData, OrderStatusChangedData, PaymentOutcomeData } from "../contracts/events.ts";
import { orderCreatedSchema, orderStatusChangedSchema, paymentOutcomeSchema, Topics } from "../contracts/events.ts";
import { eventData } from "../kit/dapr/subscriptions.ts";
import type { SubscriptionSpec } from "../kit/dapr/subscriptions.ts";
import type { Inventory } from "./store.ts";

const readOrderCreated = eventData<OrderCreatedData>("order.created", orderCreatedSchema);
const readStatusChanged = eventData<OrderStatusChangedData>("order.status_changed", orderStatusChangedSchema);
const readPaymentDeclined = eventData<PaymentOutcomeData>("payment.declined", paymentOutcomeSchema);

export function inventorySubscriptions(inventory: Inventory): SubscriptionSpec[] {
  return [
    {
      topic: Topics.orders,
      handlers: {
        "order.created": async (event, log) => {
          const data = readOrderCreated(event);
          const result = await inventory.reserve(data.order_id, data.items, data.payment ?? { method: "card" });
          log.info({ order_id: data.order_id, result }, "reservation decided");
        },
        // Stock leaves with the parcel; an order that ends otherwise gives it back.
        "order.status_changed": async (event, log) => {
          const data = readStatusChanged(event);
          if (data.status === "shipped") {
            const result = await inventory.commitShipped(data.order_id);
            log.info({ order_id: data.order_id, result }, "reservation committed");
          } else if (data.status === "cancelled" || data.status === "failed") {
            const reason = data.status === "cancelled" ? "cancelled" : data.reason === "reservation_expired" ? "reservation_expired" : "failed";
            const result = await inventory.release(data.order_id, reason);
            log.info({ order_id: data.order_id, result, reason }, "reservation released");
          }
        },
      },
    },
    {
      topic: Topics.payments,
      handlers: {
        "payment.declined": async (event, log) => {
          const data = readPaymentDeclined(event);
          const result = await inventory.release(data.order_id, "payment_declined");
          log.info({ order_id: data.order_id, result }, "reservation released");
        },
      },
    },
  ];
}
