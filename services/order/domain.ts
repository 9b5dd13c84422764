/**
 * The order aggregate and its status machine. Pure: no I/O, no Dapr, no Koa.
 */
import type { OrderStatus } from "../contracts/api/orders.ts";
import { domainEvent } from "../contracts/events.ts";
import type { DomainEvent, EventsOf, OrderCreatedData, OrderSnapshot, PaymentInstructionData, RejectionReason } from "../contracts/events.ts";


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

/** How the customer pays; the same shape the order.created event carries. */
export type PaymentInstruction = PaymentInstructionData;

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
  /** When the stock reserved for it is given up unless paid for. */
  reservation_expires_at?: string;
  /** Events that came before what they build on, applied as soon as they can be (see applyInOrder). */
  deferred?: DeferredEvent[];
}

/**
 * An event that overtook the one it builds on (a payment captured before the
 * order learnt of its reservation, a delivery scan before the pickup's), kept
 * on the order until it applies.
 */
export type DeferredEvent =
  | { type: "payment.captured" | "payment.declined"; payment_id: string }
  | { type: "shipment.status_changed"; status: string };

/** A new pending order and the event that announces it. */
export function createOrder(
  input: NewOrder,
  id: string,
  now: string,
  idempotency?: StoredOrder["idempotency"],
): { order: StoredOrder; event: DomainEvent<"order.created"> } {
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
  return { order, event: orderCreated(order) };
}

/**
 * The order.created event of an order: made once with the order, and made
 * again, the same, when a reconciliation re-announces an order stuck waiting.
 */
export function orderCreated(order: StoredOrder): DomainEvent<"order.created"> {
  const data: OrderCreatedData = {
    order_id: order.id,
    customer_name: order.customer_name,
    customer_email: order.customer_email,
    origin_address: order.origin_address,
    destination_address: order.destination_address,
    package_weight: order.package_weight,
    ...(order.package_dimensions !== undefined ? { package_dimensions: order.package_dimensions } : {}),
    items: order.items.map(({ sku, item_name, quantity }) => ({ sku, item_name, quantity })),
    payment: order.payment ?? { method: "card" },
    created_at: order.created_at,
  };
  return domainEvent("order.created", data);
}

/** Whether the status machine allows `from` → `to`. */
export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The order as clients see it: no payment instruction, no idempotency record. */
export function publicOrder(order: StoredOrder): Order {
  const { idempotency: _idempotency, payment: _payment, reservation_expires_at: _expiry, deferred: _deferred, ...visible } = order;
  return visible;
}

/**
 * What to do with a POST that repeats an Idempotency-Key: the same request
 * gets the same order back, another request under the same key is a conflict.
 */
export function replayOutcome(existing: StoredOrder, requestHash: string): "replay" | "conflict" {
  return existing.idempotency?.request_hash === requestHash ? "replay" : "conflict";
}

/** What consumers of order events learn about the order. */
export function orderSnapshot(order: StoredOrder): OrderSnapshot {
  const visible = publicOrder(order);
  const { history: _history, ...snapshot } = visible;
  return snapshot;
}

/** An event the order emits with a change (order.created comes with createOrder). */
export type OrderEvent = EventsOf<"order.">;

/**
 * What an event or command means for the order: a change with the events it
 * causes, nothing (a repeat, or a race already settled), or "not yet" for an
 * event that overtook the one it builds on.
 */
export type Decision =
  | { kind: "change"; order: StoredOrder; events: OrderEvent[] }
  | { kind: "ignore"; why: string }
  | { kind: "wait"; why: string };

/** Thrown for a transition the status machine forbids. */
export class IllegalTransitionError extends Error {
  readonly from: OrderStatus;
  readonly to: OrderStatus;
  constructor(from: OrderStatus, to: OrderStatus, detail?: string) {
    super(detail ?? `an order that is ${from} cannot become ${to}`);
    this.from = from;
    this.to = to;
  }
}

/** The order moved to `to`, with its history and the status_changed event. */
export function transition(
  order: StoredOrder,
  to: OrderStatus,
  now: Date,
  changes: Partial<StoredOrder> = {},
  reason?: string,
): { kind: "change"; order: StoredOrder; events: OrderEvent[] } {
  if (!canTransition(order.status, to)) throw new IllegalTransitionError(order.status, to);
  const at = now.toISOString();
  const next: StoredOrder = {
    ...order,
    ...changes,
    status: to,
    // status_reason explains failures only.
    ...(reason && to === "failed" ? { status_reason: reason } : {}),
    history: [...order.history, { status: to, at, ...(reason ? { reason } : {}) }],
    updated_at: at,
  };
  const event = domainEvent("order.status_changed", {
    order_id: order.id,
    status: to,
    previous_status: order.status,
    ...(reason ? { reason } : {}),
    order: orderSnapshot(next),
  });
  return { kind: "change", order: next, events: [event] };
}

export interface ReservedLine {
  sku: string;
  quantity: number;
  unit_price: number;
}

/** Stock was reserved: the order is priced and waits for its payment. */
export function onStockReserved(
  order: StoredOrder,
  reserved: { lines: ReservedLine[]; total_amount: number; currency: string; expires_at: string },
  now: Date,
): Decision {
  if (order.status !== "pending") return { kind: "ignore", why: `order is ${order.status}` };
  const prices = new Map(reserved.lines.map((l) => [l.sku, l.unit_price]));
  const items = order.items.map((item) => ({ ...item, ...(prices.has(item.sku) ? { unit_price: prices.get(item.sku)! } : {}) }));
  return transition(order, "processing", now, {
    items,
    total_amount: reserved.total_amount,
    currency: reserved.currency,
    reservation_expires_at: reserved.expires_at,
  });
}

/** Stock could not be reserved: the order fails with the reason. */
export function onStockRejected(order: StoredOrder, reason: RejectionReason, now: Date): Decision {
  if (order.status !== "pending") return { kind: "ignore", why: `order is ${order.status}` };
  return transition(order, "failed", now, {}, reason);
}

/** The payment was captured: the order is confirmed (unless it ended meanwhile; payment then refunds). */
export function onPaymentCaptured(order: StoredOrder, paymentId: string, now: Date): Decision {
  if (order.status === "pending") return { kind: "wait", why: "the reservation has not been applied yet" };
  if (order.status !== "processing") return { kind: "ignore", why: `order is ${order.status}` };
  return transition(order, "confirmed", now, { payment_id: paymentId });
}

export function onPaymentDeclined(order: StoredOrder, paymentId: string, now: Date): Decision {
  if (order.status === "pending") return { kind: "wait", why: "the reservation has not been applied yet" };
  if (order.status !== "processing") return { kind: "ignore", why: `order is ${order.status}` };
  return transition(order, "failed", now, { payment_id: paymentId }, "payment_declined");
}

/** The reservation ran out before the payment came: the order fails. */
export function expireReservation(order: StoredOrder, now: Date): Decision {
  if (order.status !== "processing") return { kind: "ignore", why: `order is ${order.status}` };
  if (!order.reservation_expires_at || Date.parse(order.reservation_expires_at) > now.getTime()) {
    return { kind: "ignore", why: "the reservation has not expired" };
  }
  return transition(order, "failed", now, {}, "reservation_expired");
}

/** The shipment exists: the order records where to track it. */
export function onShipmentCreated(order: StoredOrder, shipment: { shipment_id: string; tracking_number: string }, now: Date): Decision {
  if (order.shipment_id === shipment.shipment_id) return { kind: "ignore", why: "already recorded" };
  const next: StoredOrder = { ...order, shipment_id: shipment.shipment_id, tracking_number: shipment.tracking_number, updated_at: now.toISOString() };
  return { kind: "change", order: next, events: [domainEvent("order.updated", { order_id: order.id, order: orderSnapshot(next) })] };
}

/** A courier scan: pickup ships the order, delivery delivers it. */
export function onShipmentStatus(order: StoredOrder, status: string, now: Date): Decision {
  const target: OrderStatus | undefined = status === "picked_up" ? "shipped" : status === "delivered" ? "delivered" : undefined;
  if (!target) return { kind: "ignore", why: `scan ${status} does not change the order` };
  if (order.status === target || (target === "shipped" && order.status === "delivered")) return { kind: "ignore", why: "already applied" };
  if (target === "delivered" && order.status === "confirmed") {
    // The pickup's own event has not been applied yet.
    return { kind: "wait", why: "the pickup has not been applied yet" };
  }
  if (!canTransition(order.status, target)) {
    if (order.status === "pending" || order.status === "processing") return { kind: "wait", why: "the payment has not been applied yet" };
    return { kind: "ignore", why: `order is ${order.status}` };
  }
  return transition(order, target, now);
}

/**
 * The order cancelled: status_changed (which inventory, payment and tracking
 * compensate on, as on every end) plus order.cancelled, for read models.
 */
export function cancelOrder(order: StoredOrder, now: Date): Decision {
  if (order.status === "cancelled") return { kind: "ignore", why: "already cancelled" };
  const change = transition(order, "cancelled", now);
  change.events.push(domainEvent("order.cancelled", { order_id: order.id, previous_status: order.status }));
  return change;
}

/** Statuses an operator may set through PUT /orders/{id}/status. */
export const OPERATOR_STATUSES: readonly OrderStatus[] = ["shipped", "delivered", "cancelled"];

/** An operator's transition; the saga's own (processing, confirmed, failed) are not theirs to make. */
export function operatorTransition(order: StoredOrder, to: OrderStatus, now: Date): Decision {
  if (!OPERATOR_STATUSES.includes(to)) throw new IllegalTransitionError(order.status, to, `${to} is set by the order's saga, not by an operator`);
  if (order.status === to) return { kind: "ignore", why: "already so" };
  if (to === "cancelled") return cancelOrder(order, now);
  return transition(order, to, now, {}, "set_by_operator");
}

function decideDeferred(order: StoredOrder, event: DeferredEvent, now: Date): Decision {
  switch (event.type) {
    case "payment.captured":
      return onPaymentCaptured(order, event.payment_id, now);
    case "payment.declined":
      return onPaymentDeclined(order, event.payment_id, now);
    case "shipment.status_changed":
      return onShipmentStatus(order, event.status, now);
  }
}

function sameEvent(a: DeferredEvent, b: DeferredEvent): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Applies what an event decides for the order, and then every deferred event
 * that the change lets apply, in the order they came. An event whose decision
 * is "wait" is kept on the order (deferred) instead of being delivered again
 * and again: a redelivered event would hold one of the sidecar's delivery
 * workers, and enough of them would starve the very events they wait for.
 */
export function applyInOrder(order: StoredOrder, decide: (order: StoredOrder) => Decision, deferrable: DeferredEvent | undefined, now: Date): Decision {
  const decision = decide(order);
  if (decision.kind === "wait") {
    if (!deferrable) return decision;
    if (order.deferred?.some((d) => sameEvent(d, deferrable))) return { kind: "ignore", why: "already deferred" };
    return { kind: "change", order: { ...order, deferred: [...(order.deferred ?? []), deferrable] }, events: [] };
  }
  if (decision.kind !== "change") return decision;
  let current = decision.order;
  const events = [...decision.events];
  for (let settled = true; settled && current.deferred?.length; ) {
    settled = false;
    for (const waiting of current.deferred) {
      const next = decideDeferred(current, waiting, now);
      if (next.kind === "wait") continue;
      const rest = current.deferred.filter((d) => d !== waiting);
      if (next.kind === "change") events.push(...next.events);
      current = { ...(next.kind === "change" ? next.order : current), deferred: rest };
      settled = true;
      break;
    }
  }
  if (current.deferred?.length === 0) {
    const { deferred: _none, ...rest } = current;
    current = rest;
  }
  return { kind: "change", order: current, events };
}
