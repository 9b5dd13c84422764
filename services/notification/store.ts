/**
 * The notification log: one document per order holding every message sent
 * about it, at most one per template. A message is sent holding the order's
 * lock and recorded (with notification.sent, through the outbox) right
 * after; a failure between the two sends it again on redelivery, so email is
 * at least once.
 */
import type { DomainEvent } from "../contracts/events.ts";
import type { KeyLocks } from "../kit/coordination/locks.ts";
import type { OutboxStore } from "../kit/ports/ports.ts";
import type { Message, Notification } from "./domain.ts";
import { notificationSent } from "./domain.ts";

export interface OrderNotifications {
  order_id: string;
  notifications: Notification[];
}

const orderLogKey = (orderId: string) => `order-notifications:${orderId}`;

export class NotificationLog {
  readonly #store: OutboxStore<DomainEvent>;
  readonly #locks: KeyLocks;

  constructor(store: OutboxStore<DomainEvent>, locks: KeyLocks) {
    this.#store = store;
    this.#locks = locks;
  }

  /**
   * Sends `message` with `send` and records it, unless the order already has
   * a message from its template. Answers the recorded notification, or
   * undefined when it was sent before.
   */
  async sendOnce(
    orderId: string,
    message: Message,
    send: () => Promise<void>,
    entry: () => Notification,
  ): Promise<Notification | undefined> {
    const key = orderLogKey(orderId);
    return this.#locks.withLocks([key], async () => {
      const current = await this.#store.get<OrderNotifications>(key);
      const log = current?.value ?? { order_id: orderId, notifications: [] };
      if (log.notifications.some((n) => n.template === message.template)) return undefined;
      await send();
      const notification = entry();
      const value: OrderNotifications = { ...log, notifications: [...log.notifications, notification] };
      await this.#store.commit([{ operation: "upsert", key, value, ...(current ? { etag: current.etag } : {}) }], [{ key, ...notificationSent(notification) }]);
      return notification;
    });
  }

  async forOrder(orderId: string): Promise<Notification[]> {
    const log = await this.#store.get<OrderNotifications>(orderLogKey(orderId));
    return log ? [...log.value.notifications].sort((a, b) => a.sent_at.localeCompare(b.sent_at)) : [];
  }
}
