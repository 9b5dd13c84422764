/** The events payment reacts to: reserved orders to charge, ended orders to settle. */
import type { InventoryReservedData, OrderStatusChangedData } from "../contracts/events.ts";
import { inventoryReservedSchema, orderStatusChangedSchema, Topics } from "../contracts/events.ts";
import { eventData } from "../kit/dapr/subscriptions.ts";
import type { SubscriptionSpec } from "../kit/dapr/subscriptions.ts";
import type { Payments } from "./store.ts";

const readReserved = eventData<InventoryReservedData>("inventory.reserved", inventoryReservedSchema);
const readStatusChanged = eventData<OrderStatusChangedData>("order.status_changed", orderStatusChangedSchema);

export function paymentSubscriptions(payments: Payments, currency: string, provider: { ready(): Promise<void> }): SubscriptionSpec[] {
  return [
    {
      topic: Topics.inventory,
      handlers: {
        "inventory.reserved": async (event, log) => {
          const data = readReserved(event);
          await provider.ready();
          const result = await payments.charge(data.order_id, data.total_amount, data.currency, data.payment?.card_token);
          log.info({ order_id: data.order_id, result, amount: data.total_amount }, "charge decided");
        },
      },
    },
    {
      topic: Topics.orders,
      handlers: {
        "order.status_changed": async (event, log) => {
          const data = readStatusChanged(event);
          if (data.status !== "cancelled" && data.status !== "failed") return;
          const result = await payments.settleEnded(data.order_id, data.order.currency ?? currency);
          log.info({ order_id: data.order_id, result }, "charge settled");
        },
      },
    },
  ];
}
