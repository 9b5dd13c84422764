/** The events notification reacts to: new orders and every customer-facing status. */
import type { OrderCreatedData, OrderStatusChangedData } from "../contracts/events.ts";
import { orderCreatedSchema, orderStatusChangedSchema, Topics } from "../contracts/events.ts";
import type { CloudEvent } from "../kit/dapr/cloudevents.ts";
import type { OutputBinding } from "../kit/dapr/ports.ts";
import { eventData } from "../kit/dapr/subscriptions.ts";
import type { SubscriptionSpec } from "../kit/dapr/subscriptions.ts";
import type { Logger } from "../kit/logger.ts";
import type { OrderFacts, Template } from "./domain.ts";
import type { LowStockFacts } from "./domain.ts";
import { compose, lowStockAlert, sentNotification, templateForStatus } from "./domain.ts";
import type { NotificationLog } from "./store.ts";

const readCreated = eventData<OrderCreatedData>("order.created", orderCreatedSchema);
const readStatusChanged = eventData<OrderStatusChangedData>("order.status_changed", orderStatusChangedSchema);

export interface Mailer {
  binding: OutputBinding;
  /** The output binding component that sends email (SMTP by default). */
  bindingName: string;
  /** Where low-stock alerts go. */
  operationsEmail: string;
}

const lowStockSchema = {
  type: "object",
  required: ["sku", "available", "low_stock_threshold"],
  properties: { sku: { type: "string", minLength: 1 }, item_name: { type: "string" }, available: { type: "integer" }, low_stock_threshold: { type: "integer" } },
};
const readLowStock = eventData<LowStockFacts>("inventory.low_stock", lowStockSchema);

export function notificationSubscriptions(log: NotificationLog, mailer: Mailer, now: () => Date = () => new Date()): SubscriptionSpec[] {
  async function notify(event: CloudEvent, template: Template, facts: OrderFacts, logger: Logger): Promise<void> {
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

  return [
    {
      // Alerts go to the operations mailbox once per crossing (the event id
      // is applied once); they are not part of any order's log.
      topic: Topics.inventory,
      handlers: {
        "inventory.low_stock": async (event, logger) => {
          const item = readLowStock(event);
          const alert = lowStockAlert({ ...item, item_name: item.item_name ?? item.sku }, mailer.operationsEmail);
          await mailer.binding.send(mailer.bindingName, "create", alert.body, { emailTo: alert.to, subject: alert.subject });
          logger.info({ sku: item.sku, available: item.available }, "low-stock alert sent");
        },
      },
    },
    {
      topic: Topics.orders,
      handlers: {
        "order.created": async (event, logger) => {
          const data = readCreated(event);
          await notify(event, "order_received", data, logger);
        },
        "order.status_changed": async (event, logger) => {
          const data = readStatusChanged(event);
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
    },
  ];
}
