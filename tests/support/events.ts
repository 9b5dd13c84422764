/** Complete event data for tests that deliver events by hand, typed by the event catalog. */
import type { OrderStatus } from "../../services/contracts/api/orders.ts";
import type { OrderCreatedData, OrderSnapshot } from "../../services/contracts/events.ts";

const AT = "2026-03-01T09:00:00.000Z";

/** Who ordered what, where from and where to: the same in every fixture. */
const ORDER = {
  customer_name: "Ada",
  customer_email: "ada@example.com",
  origin_address: "A",
  destination_address: "B",
  package_weight: 1,
  items: [{ sku: "A", item_name: "Item A", quantity: 1 }],
};

/** An order as order events carry it, with `extra` laid over it. */
export function orderSnapshot(orderId: string, status: OrderStatus, extra: Partial<OrderSnapshot> = {}): OrderSnapshot {
  return {
    id: orderId,
    status,
    ...ORDER,
    created_at: AT,
    updated_at: AT,
    ...extra,
  };
}

/** The data of order.created for `orderId`, with `extra` laid over it. */
export function orderCreatedData(orderId: string, extra: Partial<OrderCreatedData> = {}): OrderCreatedData {
  return {
    order_id: orderId,
    ...ORDER,
    payment: { method: "card" },
    created_at: AT,
    ...extra,
  };
}
