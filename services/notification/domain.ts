/**
 * Which message an event calls for. Pure: no I/O, no Dapr, no Koa.
 */

export interface Notification {
  id: string;
  order_id: string;
  channel: "email" | "log";
  recipient: string;
  template: string;
  subject: string;
  status: "sent" | "recorded" | "failed";
  sent_at: string;
  /** The CloudEvent that caused it. */
  event_id: string;
}

/** The part of order.created a notification needs. */
export interface OrderCreatedData {
  order_id: string;
  customer_name: string;
  customer_email: string;
}

/** Thrown when an event lacks what a message needs: such an event is poison. */
export class UnusableEventError extends Error {}

export function readOrderCreated(data: unknown): OrderCreatedData {
  const d = (data ?? {}) as Record<string, unknown>;
  const missing = ["order_id", "customer_name", "customer_email"].filter((f) => typeof d[f] !== "string" || d[f] === "");
  if (missing.length > 0) throw new UnusableEventError(`order.created lacks ${missing.join(", ")}`);
  return { order_id: d.order_id as string, customer_name: d.customer_name as string, customer_email: d.customer_email as string };
}

/** The "we received your order" message for a new order. */
export function orderReceived(data: OrderCreatedData, id: string, eventId: string, now: string): Notification {
  return {
    id,
    order_id: data.order_id,
    channel: "log",
    recipient: data.customer_email,
    template: "order_received",
    subject: `We received your order ${data.order_id}`,
    status: "recorded",
    sent_at: now,
    event_id: eventId,
  };
}
