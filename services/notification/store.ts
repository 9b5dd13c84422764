/**
 * The notification log, one document per order holding every message sent
 * about it. Each event changes one document with one ETag-guarded write, so
 * the change is atomic on every state store and concurrent deliveries for the
 * same order never overwrite each other.
 */
import type { StateOperation, StateStore } from "../kit/dapr/ports.ts";
import type { Notification } from "./domain.ts";

export interface OrderNotifications {
  order_id: string;
  notifications: Notification[];
}

const orderLogKey = (orderId: string) => `order-notifications:${orderId}`;

export class NotificationLog {
  readonly #store: StateStore;
  constructor(store: StateStore) {
    this.#store = store;
  }

  /**
   * The write that adds `notification` to its order's log, or none when the
   * order already has a message from this template (one per template and
   * order, whatever the broker redelivers).
   */
  async recordOperations(notification: Notification): Promise<StateOperation[]> {
    const key = orderLogKey(notification.order_id);
    const current = await this.#store.get<OrderNotifications>(key);
    const log = current?.value ?? { order_id: notification.order_id, notifications: [] };
    if (log.notifications.some((n) => n.template === notification.template)) return [];
    const value: OrderNotifications = { ...log, notifications: [...log.notifications, notification] };
    return [current ? { operation: "upsert", key, value, etag: current.etag } : { operation: "upsert", key, value, onlyIfAbsent: true }];
  }

  async forOrder(orderId: string): Promise<Notification[]> {
    const log = await this.#store.get<OrderNotifications>(orderLogKey(orderId));
    return log ? [...log.value.notifications].sort((a, b) => a.sent_at.localeCompare(b.sent_at)) : [];
  }
}
