/** The events notification reacts to: new orders and every customer-facing status. */
import type { Template } from "../contracts/api/notifications.ts";
import { EVENTS } from "../contracts/events.ts";
import type { EventMap } from "../contracts/events.ts";
import type { CloudEvent } from "../kit/events/cloudevents.ts";
import { subscriptionsFor } from "../kit/events/handlers.ts";
import type { SubscriptionSpec } from "../kit/events/handlers.ts";
import type { Logger } from "../kit/logger.ts";
import type { OutputBinding } from "../kit/ports/ports.ts";
import type { OrderFacts } from "./domain.ts";
import { compose, lowStockAlert, NOTIFIED_STATUSES, sentNotification, templateForStatus } from "./domain.ts";
import type { NotificationLog } from "./store.ts";

export interface Mailer {
  binding: OutputBinding;
  /** The output binding component that sends email (SMTP by default). */
  bindingName: string;
  /** Where low-stock alerts go. */
  operationsEmail: string;
}

export function notificationSubscriptions(log: NotificationLog, mailer: Mailer, now: () => Date = () => new Date()): SubscriptionSpec[] {
  async function notify(event: CloudEvent<unknown>, template: Template, facts: OrderFacts, logger: Logger): Promise<void> {
    const message = compose(template, facts);
    const sent = await log.sendOnce(
      facts.order_id,
      message,
      async () => {
        await mailer.binding.send(mailer.bindingName, "create", message.body, { emailTo: message.to, subject: message.subject });
      },
      () => sentNotification(message, facts.order_id, crypto.randomUUID(), event.id, now()),
    );
    logger.info({ order_id: facts.order_id, template, sent: sent !== undefined }, sent ? "notification sent" : "notification was sent before");
  }

  return subscriptionsFor<EventMap>(EVENTS, {
    // Alerts go to the operations mailbox once per crossing (the event id is
    // applied once); they are not part of any order's log.
    "inventory.low_stock": async ({ data: item }, logger) => {
      const alert = lowStockAlert(item, mailer.operationsEmail);
      await mailer.binding.send(mailer.bindingName, "create", alert.body, { emailTo: alert.to, subject: alert.subject });
      logger.info({ sku: item.sku, available: item.available }, "low-stock alert sent");
    },
    "order.created": async (event, logger) => {
      await notify(event, "order_received", event.data, logger);
    },
    "order.status_changed": {
      only: { status: NOTIFIED_STATUSES },
      handle: async (event, logger) => {
        const { data } = event;
        const template = templateForStatus(data.status);
        if (!template) return;
        const { order } = data;
        await notify(
          event,
          template,
          {
            order_id: data.order_id,
            customer_name: order.customer_name,
            customer_email: order.customer_email,
            ...(order.status_reason ? { status_reason: order.status_reason } : {}),
            ...(order.tracking_number ? { tracking_number: order.tracking_number } : {}),
            ...(order.total_amount !== undefined ? { total_amount: order.total_amount } : {}),
            ...(order.currency ? { currency: order.currency } : {}),
          },
          logger,
        );
      },
    },
  });
}
