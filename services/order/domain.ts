/**
 * The order aggregate and its status machine. Pure: no I/O, no Dapr, no Koa.
 */

export const ORDER_STATUSES = ["pending", "processing", "confirmed", "shipped", "delivered", "cancelled", "failed"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const FAILURE_REASONS = ["out_of_stock", "unknown_sku", "payment_declined", "reservation_expired"] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Which status may follow which; terminal statuses have none. */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ["processing", "failed", "cancelled"],
  processing: ["confirmed", "failed", "cancelled"],
  confirmed: ["shipped", "cancelled"],
  shipped: ["delivered"],
  delivered: [],
  cancelled: [],
  failed: [],
};

export interface OrderItem {
  sku: string;
  item_name: string;
  quantity: number;
  unit_price?: number;
}

export interface PaymentInstruction {
  method: "card";
  card_token?: string;
}

export interface StatusChange {
  status: OrderStatus;
  at: string;
  reason?: string;
}

export interface Order {
  id: string;
  status: OrderStatus;
  status_reason?: string;
  customer_name: string;
  customer_email: string;
  origin_address: string;
  destination_address: string;
  package_weight: number;
  package_dimensions?: string;
  items: OrderItem[];
  total_amount?: number;
  currency?: string;
  payment_id?: string;
  shipment_id?: string;
  tracking_number?: string;
  history: StatusChange[];
  created_at: string;
  updated_at: string;
}

/** The body of POST /orders once validated. */
export type NewOrder = Pick<
  Order,
  "customer_name" | "customer_email" | "origin_address" | "destination_address" | "package_weight" | "package_dimensions" | "items"
> & { payment?: PaymentInstruction };

/** What the order keeps, beyond its public shape. */
export interface StoredOrder extends Order {
  /** Set when the order was created with an Idempotency-Key. */
  idempotency?: { key: string; request_hash: string };
  /** The payment instruction; never shown in the public order. */
  payment?: PaymentInstruction;
}

/** The data of the order.created event. */
export type OrderCreated = Pick<
  Order,
  "customer_name" | "customer_email" | "origin_address" | "destination_address" | "package_weight" | "package_dimensions" | "items"
> & { order_id: string; payment: PaymentInstruction; created_at: string };

/** A new pending order and the event that announces it. */
export function createOrder(
  input: NewOrder,
  id: string,
  now: string,
  idempotency?: StoredOrder["idempotency"],
): { order: StoredOrder; event: OrderCreated } {
  const items = input.items.map(({ sku, item_name, quantity }) => ({ sku, item_name, quantity }));
  const payment: PaymentInstruction = input.payment ?? { method: "card" };
  const order: StoredOrder = {
    id,
    status: "pending",
    customer_name: input.customer_name,
    customer_email: input.customer_email,
    origin_address: input.origin_address,
    destination_address: input.destination_address,
    package_weight: input.package_weight,
    ...(input.package_dimensions !== undefined ? { package_dimensions: input.package_dimensions } : {}),
    items,
    history: [{ status: "pending", at: now }],
    created_at: now,
    updated_at: now,
    payment,
    ...(idempotency ? { idempotency } : {}),
  };
  const event: OrderCreated = {
    order_id: id,
    customer_name: order.customer_name,
    customer_email: order.customer_email,
    origin_address: order.origin_address,
    destination_address: order.destination_address,
    package_weight: order.package_weight,
    ...(order.package_dimensions !== undefined ? { package_dimensions: order.package_dimensions } : {}),
    items,
    payment,
    created_at: now,
  };
  return { order, event };
}

/** Whether the status machine allows `from` → `to`. */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The order as clients see it: no payment instruction, no idempotency record. */
export function publicOrder(order: StoredOrder): Order {
  const { idempotency: _idempotency, payment: _payment, ...visible } = order;
  return visible;
}

/**
 * What to do with a POST that repeats an Idempotency-Key: the same request
 * gets the same order back, another request under the same key is a conflict.
 */
export function replayOutcome(existing: StoredOrder, requestHash: string): "replay" | "conflict" {
  return existing.idempotency?.request_hash === requestHash ? "replay" : "conflict";
}
