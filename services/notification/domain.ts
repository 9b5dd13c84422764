/**
 * Which message an order event calls for, and what it says. Pure: no I/O,
 * no Dapr, no Koa.
 */

import type { Template } from "../contracts/api/notifications.ts";
import type { OrderStatus } from "../contracts/api/orders.ts";
import { domainEvent } from "../contracts/events.ts";
import type { DomainEvent, LowStockData } from "../contracts/events.ts";
export interface Notification {
  id: string;
  order_id: string;
  channel: "email";
  recipient: string;
  template: Template;
  subject: string;
  status: "sent";
  sent_at: string;
  /** The CloudEvent that caused it. */
  event_id: string;
}


/** What a message needs to know about its order. */
export interface OrderFacts {
  order_id: string;
  customer_name: string;
  customer_email: string;
  status_reason?: string;
  tracking_number?: string;
  total_amount?: number;
  currency?: string;
}

export interface Message {
  template: Template;
  to: string;
  subject: string;
  body: string;
}

const STATUS_TEMPLATES = {
  confirmed: "order_confirmed",
  shipped: "order_shipped",
  delivered: "order_delivered",
  cancelled: "order_cancelled",
  failed: "order_failed",
} as const satisfies Partial<Record<OrderStatus, Template>>;

/** The statuses the customer hears about. */
export const NOTIFIED_STATUSES = Object.keys(STATUS_TEMPLATES) as Array<keyof typeof STATUS_TEMPLATES>;

/** The template a status calls for, if any (processing, say, calls for none). */
export function templateForStatus(status: string): Template | undefined {
  return (STATUS_TEMPLATES as Partial<Record<string, Template>>)[status];
}

const REASONS: Record<string, string> = {
  out_of_stock: "some items are out of stock",
  unknown_sku: "some items are not in our catalogue",
  payment_declined: "the payment was declined",
  reservation_expired: "the payment did not arrive in time",
};

/** The message of `template` about the order. */
export function compose(template: Template, order: OrderFacts): Message {
  const hello = `Hello ${order.customer_name},\n\n`;
  const bye = "\n\nThank you for shipping with us.\n";
  const ref = order.order_id;
  const texts: Record<Template, [string, string]> = {
    order_received: [`We received your order ${ref}`, `we received your order ${ref} and are reserving its items.`],
    order_confirmed: [
      `Your order ${ref} is confirmed`,
      `your order ${ref} is paid${order.total_amount !== undefined ? ` (${order.total_amount.toFixed(2)} ${order.currency ?? ""})`.trimEnd() : ""} and waits for its courier.`,
    ],
    order_shipped: [
      `Your order ${ref} is on its way`,
      `your order ${ref} has been picked up.${order.tracking_number ? ` Track it with number ${order.tracking_number}.` : ""}`,
    ],
    order_delivered: [`Your order ${ref} was delivered`, `your order ${ref} was delivered.`],
    order_cancelled: [`Your order ${ref} is cancelled`, `your order ${ref} is cancelled; any payment is refunded.`],
    order_failed: [
      `We could not fulfil your order ${ref}`,
      `we could not fulfil your order ${ref}: ${REASONS[order.status_reason ?? ""] ?? "it could not be completed"}. Any payment is refunded.`,
    ],
  };
  const [subject, text] = texts[template];
  return { template, to: order.customer_email, subject, body: hello + text.charAt(0).toUpperCase() + text.slice(1) + bye };
}

/** The log entry of a message that left. */
export function sentNotification(message: Message, orderId: string, id: string, eventId: string, now: Date): Notification {
  return {
    id,
    order_id: orderId,
    channel: "email",
    recipient: message.to,
    template: message.template,
    subject: message.subject,
    status: "sent",
    sent_at: now.toISOString(),
    event_id: eventId,
  };
}

/** A notification as clients see it: without the event that caused it. */
export function publicNotification(notification: Notification): Omit<Notification, "event_id"> {
  const { event_id: _event, ...visible } = notification;
  return visible;
}

/** notification.sent: what the log recorded, without the event that caused it. */
export function notificationSent(notification: Notification): DomainEvent<"notification.sent"> {
  return domainEvent("notification.sent", publicNotification(notification));
}

/** What a low-stock alert needs. */
export type LowStockFacts = LowStockData;

/** The alert to the operations mailbox when an item's available stock fell below its threshold. */
export function lowStockAlert(item: LowStockFacts, to: string): Omit<Message, "template"> {
  return {
    to,
    subject: `Low stock: ${item.sku}`,
    body: `${item.item_name} (${item.sku}) has ${item.available} units available, below its threshold of ${item.low_stock_threshold}.\nRestock it with POST /api/v1/inventory/${item.sku}/restock.\n`,
  };
}
