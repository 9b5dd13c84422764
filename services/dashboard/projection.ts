/**
 * The read side's rules, on plain objects: how each event changes the view
 * of its order, SKU or shipment. The store (store.ts) reads a view, applies
 * these and writes it back only if nobody else did meanwhile.
 *
 * Events arrive at least once and in any order across topics (an order's
 * payment may land before the status change that preceded it). So:
 * - a view remembers the CloudEvent ids it applied: a repeat changes nothing;
 * - the order's own snapshot wins by its `updated_at` (the order service's
 *   clock for that order), never replaced by an older one; facts from other
 *   services (payment, shipment) are kept in their own fields, each by its
 *   own progression (a refund after a capture, never the reverse);
 * - what the charts count (an order created, confirmed, failed; money taken
 *   or refunded) is reported once per order as an effect, when the view
 *   first learns it.
 */
import type { OrderStatus } from "../contracts/api/orders.ts";
import type { EventMap, EventType, OrderSnapshot } from "../contracts/events.ts";

/** One order as the dashboard knows it. */
export interface OrderView {
  id: string;
  status: OrderStatus;
  status_reason?: string;
  customer_name: string;
  customer_email: string;
  items: Array<{ sku: string; item_name: string; quantity: number; unit_price?: number }>;
  skus: string[];
  total_amount?: number;
  currency?: string;
  payment?: { id: string; status: "captured" | "declined" | "refunded"; amount: number; currency: string; decline_reason?: string };
  shipment?: { id: string; tracking_number: string; courier: string; status: string; estimated_delivery?: string; at?: string };
  history: Array<{ status: OrderStatus; at: string; reason?: string }>;
  created_at: string;
  /** The order service's updated_at of the snapshot applied last ("" before any). */
  updated_at: string;
  confirmed_at?: string;
  /** created → confirmed, in milliseconds. */
  saga_ms?: number;
  failed_at?: string;
  /** Lower-cased words to search by: the customer's name and email, SKUs, ids, tracking number. */
  terms: string[];
  /** The CloudEvent ids applied. */
  applied: string[];
  /** The money moves already counted in the statistics (a capture, a refund: one each per order). */
  counted?: { captured?: true; refunded?: true };
}

/** A SKU's stock as inventory last reported it. */
export interface SkuView {
  sku: string;
  item_name?: string;
  on_hand?: number;
  reserved?: number;
  available?: number;
  low_stock_threshold?: number;
  /** When the level applied last changed (the item's updated_at, else the CloudEvent's time). */
  as_of: string;
  low_stock_at?: string;
  applied: string[];
}

/** What the per-minute statistics learn from an event, once per order. */
export type Effect =
  | { kind: "created"; at: string }
  | { kind: "confirmed"; at: string; saga_ms: number }
  | { kind: "failed"; at: string }
  | { kind: "captured"; at: string; amount: number }
  | { kind: "refunded"; at: string; amount: number };

export interface Applied<V> {
  view: V;
  effects: Effect[];
}

/** The event as the projection sees it: its id, type, time and typed data. */
export type ProjectedEvent = { [K in EventType]: { id: string; type: K; time: string; data: EventMap[K] } }[EventType];

/** Event types that concern one order (by data.order_id). */
export const ORDER_EVENT_TYPES = [
  "order.created",
  "order.status_changed",
  "order.updated",
  "inventory.reserved",
  "payment.captured",
  "payment.declined",
  "payment.refunded",
  "shipment.created",
  "shipment.status_changed",
] as const satisfies readonly EventType[];

export const SKU_EVENT_TYPES = ["inventory.stock_changed", "inventory.low_stock"] as const satisfies readonly EventType[];

/** The order an event concerns, for the types the order view takes. */
export function orderIdOf(event: ProjectedEvent): string | undefined {
  return (ORDER_EVENT_TYPES as readonly string[]).includes(event.type) ? (event.data as { order_id: string }).order_id : undefined;
}

/** How far along the saga a status is: on equal updated_at, the further one is the later. */
const STATUS_RANK: Record<OrderStatus, number> = { pending: 0, processing: 1, confirmed: 2, shipped: 3, delivered: 4, cancelled: 5, failed: 5 };
const PAYMENT_RANK = { captured: 1, declined: 1, refunded: 2 } as const;
const SHIPMENT_RANK: Record<string, number> = {
  created: 0, picked_up: 1, in_transit: 2, out_for_delivery: 3, delivery_failed: 3, delivered: 4,
};

function words(...values: Array<string | undefined>): string[] {
  return values.flatMap((v) => (v ?? "").toLowerCase().split(/[^\p{L}\p{N}@._-]+/u)).filter((w) => w.length > 0);
}

function withTerms(view: OrderView): OrderView {
  const terms = new Set([
    ...words(view.id, view.customer_name, view.customer_email),
    ...view.skus.map((s) => s.toLowerCase()),
    ...words(view.payment?.id, view.shipment?.id, view.shipment?.tracking_number),
  ]);
  return { ...view, terms: [...terms].sort() };
}

/** An order view with nothing known but its id: events of other services can come first. */
export function emptyOrder(id: string): OrderView {
  return { id, status: "pending", customer_name: "", customer_email: "", items: [], skus: [], history: [], created_at: "", updated_at: "", terms: words(id), applied: [] };
}

function fromSnapshot(view: OrderView, order: OrderSnapshot): OrderView {
  const { status_reason, total_amount, currency } = order;
  const next: OrderView = {
    ...view,
    status: order.status,
    customer_name: order.customer_name,
    customer_email: order.customer_email.toLowerCase(),
    items: order.items,
    skus: [...new Set(order.items.map((i) => i.sku))],
    created_at: order.created_at,
    updated_at: order.updated_at,
    ...(total_amount !== undefined ? { total_amount } : {}),
    ...(currency ? { currency } : {}),
  };
  if (status_reason) next.status_reason = status_reason;
  else delete next.status_reason;
  return next;
}

function addHistory(view: OrderView, entry: { status: OrderStatus; at: string; reason?: string }): OrderView {
  if (view.history.some((h) => h.status === entry.status && h.at === entry.at)) return view;
  // Two changes of one millisecond go in the order the status machine allows.
  const history = [...view.history, entry].sort((a, b) => a.at.localeCompare(b.at) || STATUS_RANK[a.status] - STATUS_RANK[b.status]);
  return { ...view, history };
}

/**
 * Effects of the status change an order.status_changed reports, the first
 * time this view learns it: every order changes to confirmed (or failed) in
 * exactly one event, whatever else arrived before it.
 */
function statusEffects(before: OrderView, view: OrderView, status: OrderStatus, at: string): { view: OrderView; effects: Effect[] } {
  if (status === "confirmed" && !before.confirmed_at && view.created_at) {
    const sagaMs = Math.max(0, Date.parse(at) - Date.parse(view.created_at));
    return { view: { ...view, confirmed_at: at, saga_ms: sagaMs }, effects: [{ kind: "confirmed", at, saga_ms: sagaMs }] };
  }
  if (status === "failed" && !before.failed_at) return { view: { ...view, failed_at: at }, effects: [{ kind: "failed", at }] };
  return { view, effects: [] };
}

/**
 * Applies an event to its order's view (undefined: the view does not exist
 * yet). Returns the view unchanged, and no effects, for an event applied before.
 */
export function applyToOrder(current: OrderView | undefined, event: ProjectedEvent): Applied<OrderView> {
  const orderId = orderIdOf(event);
  if (!orderId) throw new Error(`${event.type} does not concern an order`);
  const before = current ?? emptyOrder(orderId);
  if (before.applied.includes(event.id)) return { view: before, effects: [] };
  let view: OrderView = { ...before, applied: [...before.applied, event.id] };
  const effects: Effect[] = [];

  switch (event.type) {
    case "order.created": {
      const d = event.data;
      if (!before.created_at) {
        // What the snapshot would say; a snapshot applied earlier keeps its status.
        view = {
          ...view,
          customer_name: view.customer_name || d.customer_name,
          customer_email: view.customer_email || d.customer_email.toLowerCase(),
          items: view.items.length > 0 ? view.items : d.items,
          skus: view.skus.length > 0 ? view.skus : [...new Set(d.items.map((i) => i.sku))],
          created_at: d.created_at,
        };
        effects.push({ kind: "created", at: d.created_at });
      }
      view = addHistory(view, { status: "pending", at: d.created_at });
      break;
    }
    case "order.status_changed":
    case "order.updated": {
      const { order } = event.data;
      const firstSeen = !before.created_at;
      const newer = order.updated_at > before.updated_at || (order.updated_at === before.updated_at && STATUS_RANK[order.status] > STATUS_RANK[before.status]);
      if (newer) {
        // A snapshot newer than the one applied: it is the order now.
        view = fromSnapshot(view, order);
      } else if (!before.created_at) {
        view = { ...view, created_at: order.created_at };
      }
      if (firstSeen && view.created_at) effects.push({ kind: "created", at: view.created_at });
      if (event.type === "order.status_changed") {
        const d = event.data;
        view = addHistory(view, { status: d.status, at: order.updated_at, ...(d.reason ? { reason: d.reason } : {}) });
        const reached = statusEffects(before, view, d.status, order.updated_at);
        view = reached.view;
        effects.push(...reached.effects);
      }
      break;
    }
    case "inventory.reserved": {
      const d = event.data;
      if (view.total_amount === undefined) view = { ...view, total_amount: d.total_amount, currency: d.currency };
      break;
    }
    case "payment.captured":
    case "payment.declined":
    case "payment.refunded": {
      const d = event.data;
      const status = event.type === "payment.captured" ? "captured" : event.type === "payment.declined" ? "declined" : "refunded";
      const known = before.payment;
      if (!known || PAYMENT_RANK[status] > PAYMENT_RANK[known.status]) {
        view = {
          ...view,
          payment: { id: d.payment_id, status, amount: d.amount, currency: d.currency, ...(d.decline_reason ? { decline_reason: d.decline_reason } : {}) },
        };
      }
      // Money moved: each counted once per order, whatever order the events
      // arrive in, and also when the same move comes again under another
      // id (a rebuild's, then the service's own).
      if ((status === "captured" || status === "refunded") && !before.counted?.[status]) {
        effects.push({ kind: status, at: event.time, amount: d.amount });
        view = { ...view, counted: { ...before.counted, [status]: true } };
      }
      break;
    }
    case "shipment.created": {
      const d = event.data;
      const status = before.shipment && before.shipment.id === d.shipment_id ? before.shipment.status : "created";
      view = {
        ...view,
        shipment: { id: d.shipment_id, tracking_number: d.tracking_number, courier: d.courier, status, estimated_delivery: d.estimated_delivery, ...(before.shipment?.at ? { at: before.shipment.at } : {}) },
      };
      break;
    }
    case "shipment.status_changed": {
      const d = event.data;
      const known = before.shipment;
      const newer = !known || (SHIPMENT_RANK[d.status] ?? 0) > (SHIPMENT_RANK[known.status] ?? 0) || (known.at !== undefined && d.at > known.at && d.status !== "delivered" && known.status !== "delivered");
      if (newer) {
        view = {
          ...view,
          shipment: { courier: "", ...known, id: d.shipment_id, tracking_number: d.tracking_number, status: d.status, at: d.at },
        };
      }
      break;
    }
    default:
      throw new Error(`${(event as { type: string }).type} does not concern an order`);
  }
  return { view: withTerms(view), effects };
}

/** Applies a stock event to its SKU's view; the later report (by the item's updated_at, else the event's time) wins. */
export function applyToSku(current: SkuView | undefined, event: ProjectedEvent): SkuView {
  if (event.type !== "inventory.stock_changed" && event.type !== "inventory.low_stock") throw new Error(`${event.type} does not concern a SKU`);
  const before: SkuView = current ?? { sku: event.data.sku, as_of: "", applied: [] };
  if (before.applied.includes(event.id)) return before;
  // The last few ids are enough: a redelivery comes soon after the delivery.
  const applied = [...before.applied, event.id].slice(-50);
  if (event.type === "inventory.low_stock") {
    const d = event.data;
    return { ...before, applied, item_name: d.item_name, low_stock_threshold: d.low_stock_threshold, low_stock_at: event.time };
  }
  const d = event.data;
  // The item's own clock to the millisecond where the event carries it (a CloudEvent's time has whole seconds).
  const at = d.updated_at ?? event.time;
  if (before.as_of && Date.parse(at) < Date.parse(before.as_of)) return { ...before, applied };
  return { ...before, applied, on_hand: d.on_hand, reserved: d.reserved, available: d.available, as_of: at };
}

/** The minute an instant falls in, as a key ("2026-11-30T14:05"). */
export function minuteOf(at: string): string {
  return new Date(at).toISOString().slice(0, 16);
}

/** Shipment statuses that still keep a courier busy. */
export const ACTIVE_SHIPMENT = ["created", "picked_up", "in_transit", "out_for_delivery", "delivery_failed"];

/**
 * What an order view adds to the running totals the summary reads (orders
 * by status, couriers' active shipments), as keys counted once each: only
 * orders whose creation is known.
 */
export function talliesOf(view: OrderView | undefined): string[] {
  if (!view?.created_at) return [];
  const keys = [`status:${view.status}`];
  if (view.shipment?.courier && ACTIVE_SHIPMENT.includes(view.shipment.status)) keys.push(`courier:${view.shipment.courier}`);
  return keys;
}

/**
 * How the running totals change when a view goes from `before` to `after`:
 * the deltas of all the writes of one view add up to the totals of its
 * latest version, whatever order its events came in.
 */
export function tallyDelta(before: OrderView | undefined, after: OrderView): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const key of talliesOf(before)) delta[key] = (delta[key] ?? 0) - 1;
  for (const key of talliesOf(after)) delta[key] = (delta[key] ?? 0) + 1;
  for (const key of Object.keys(delta)) if (delta[key] === 0) delete delta[key];
  return delta;
}

/**
 * The saga-time histogram's buckets, by upper bound in milliseconds: 1 ms
 * and then 10 % more each, up to over two hours. A percentile read from it
 * is its bucket's upper bound, rounded to the millisecond: at most 10 %
 * above the exact value.
 */
export const SAGA_BUCKETS_MS: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let bound = 1; bound < 2 * 3600_000 * 1.1; bound *= 1.1) bounds.push(bound);
  return bounds;
})();

/** The bucket of a saga time (the last one holds everything longer). */
export function sagaBucket(ms: number): number {
  const index = SAGA_BUCKETS_MS.findIndex((bound) => ms <= bound);
  return index === -1 ? SAGA_BUCKETS_MS.length - 1 : index;
}

/** Percentile p (0..100) of a histogram (counts by bucket), nearest rank, as its bucket's upper bound; undefined when empty. */
export function bucketPercentile(counts: readonly number[], p: number): number | undefined {
  const total = counts.reduce((sum, n) => sum + n, 0);
  if (total === 0) return undefined;
  const rank = Math.min(total, Math.max(1, Math.ceil((p / 100) * total)));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= rank) return Math.round(SAGA_BUCKETS_MS[i]!);
  }
  return Math.round(SAGA_BUCKETS_MS.at(-1)!);
}
