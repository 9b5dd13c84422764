/** The events notification reacts to. */
import type { SubscriptionSpec } from "../kit/dapr/subscriptions.ts";
import { PoisonEventError } from "../kit/dapr/subscriptions.ts";
import { orderReceived, readOrderCreated, UnusableEventError } from "./domain.ts";
import type { NotificationLog } from "./store.ts";

export function notificationSubscriptions(log: NotificationLog, now: () => Date = () => new Date()): SubscriptionSpec[] {
  return [
    {
      topic: "orders",
      handlers: {
        "order.created": async (event, logger) => {
          let data;
          try {
            data = readOrderCreated(event.data);
          } catch (err) {
            if (err instanceof UnusableEventError) throw new PoisonEventError(err.message);
            throw err;
          }
          const notification = orderReceived(data, crypto.randomUUID(), event.id, now().toISOString());
          logger.info({ order_id: data.order_id, template: notification.template }, "notification recorded");
          return { operations: await log.recordOperations(notification) };
        },
      },
    },
  ];
}
