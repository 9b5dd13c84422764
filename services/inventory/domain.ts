/**
 * Stock and reservations. Pure: no I/O, no Dapr, no Koa. Each function takes
 * the current state and returns the new state and what it means; the store
 * commits both under the locks of every key involved.
 */
import { domainEvent } from "../contracts/events.ts";
import type { EventsOf, PaymentInstructionData, RejectionReason, ReleaseReason, ReservedLineData } from "../contracts/events.ts";
import { lineTotal, sumMoney } from "../kit/money.ts";

export interface StockItem {
  sku: string;
  item_name: string;
  unit_price: number;
  currency: string;
  on_hand: number;
  reserved: number;
  low_stock_threshold: number;
  updated_at: string;
}

/** What a client sees: the item with `available`. */
export type PublicStockItem = StockItem & { available: number };

export type ReservationStatus = "reserved" | "committed" | "released" | "rejected" | "cancelled";
export type { RejectionReason, ReleaseReason };
export type ReservationLine = ReservedLineData;

/** An event inventory emits. */
export type InventoryEvent = EventsOf<"inventory.">;

/**
 * The stock held for one order. `cancelled` is a tombstone: the order was
 * called off before anything was reserved, so nothing ever will be.
 */
export interface Reservation {
  order_id: string;
  status: ReservationStatus;
  lines: ReservationLine[];
  total_amount: number;
  currency: string;
  expires_at?: string;
  reason?: RejectionReason | ReleaseReason;
  /** The SKUs that made a rejection. */
  rejected_skus?: string[];
  created_at: string;
  updated_at: string;
}

export interface RequestedLine {
  sku: string;
  quantity: number;
}

export const DEFAULT_LOW_STOCK_THRESHOLD = 5;

export function available(item: StockItem): number {
  return item.on_hand - item.reserved;
}

export function publicItem(item: StockItem): PublicStockItem {
  return { ...item, available: available(item) };
}

/** Whether a change took the item's available stock below its threshold. */
export function fellBelowThreshold(before: StockItem | undefined, after: StockItem): boolean {
  const was = before ? available(before) : Number.POSITIVE_INFINITY;
  return available(after) < after.low_stock_threshold && was >= after.low_stock_threshold;
}

/** The quantity wanted per SKU, lines of the same SKU added up, in first-seen order. */
export function quantitiesBySku(lines: RequestedLine[]): Map<string, number> {
  const wanted = new Map<string, number>();
  for (const line of lines) wanted.set(line.sku, (wanted.get(line.sku) ?? 0) + line.quantity);
  return wanted;
}

export type ReserveOutcome =
  | { kind: "reserved"; reservation: Reservation; items: StockItem[]; events: InventoryEvent[] }
  | { kind: "rejected"; reservation: Reservation; events: InventoryEvent[] };

/** What a changed item announces: its new stock, and an alert when it fell below its threshold. */
export function stockEvents(before: StockItem | undefined, after: StockItem): InventoryEvent[] {
  const changed = domainEvent("inventory.stock_changed", { sku: after.sku, on_hand: after.on_hand, reserved: after.reserved, available: available(after), updated_at: after.updated_at });
  if (!fellBelowThreshold(before, after)) return [changed];
  const alert = domainEvent("inventory.low_stock", { sku: after.sku, item_name: after.item_name, available: available(after), low_stock_threshold: after.low_stock_threshold });
  return [changed, alert];
}

function itemEvents(before: ReadonlyMap<string, StockItem>, after: StockItem[]): InventoryEvent[] {
  return after.flatMap((item) => stockEvents(before.get(item.sku), item));
}

/**
 * Reserves every line of an order or none. An unknown SKU rejects the order
 * before stock is looked at; otherwise any line short of available stock
 * rejects it as out of stock. `items` holds the stock of the order's SKUs
 * (missing ones are unknown). The payment instruction rides along on
 * inventory.reserved, so that payment needs no second event.
 */
export function reserveStock(
  orderId: string,
  lines: RequestedLine[],
  items: ReadonlyMap<string, StockItem>,
  now: Date,
  ttlSeconds: number,
  currency: string,
  payment?: PaymentInstructionData,
): ReserveOutcome {
  const at = now.toISOString();
  const wanted = quantitiesBySku(lines);
  const unknown = [...wanted.keys()].filter((sku) => !items.has(sku));
  const short = [...wanted].filter(([sku, quantity]) => items.has(sku) && available(items.get(sku)!) < quantity).map(([sku]) => sku);
  if (unknown.length > 0 || short.length > 0) {
    const reason: RejectionReason = unknown.length > 0 ? "unknown_sku" : "out_of_stock";
    const skus = unknown.length > 0 ? unknown : short;
    return {
      kind: "rejected",
      reservation: {
        order_id: orderId,
        status: "rejected",
        lines: [],
        total_amount: 0,
        currency,
        reason,
        rejected_skus: skus,
        created_at: at,
        updated_at: at,
      },
      events: [domainEvent("inventory.rejected", { order_id: orderId, reason, skus })],
    };
  }
  const reservationLines: ReservationLine[] = [...wanted].map(([sku, quantity]) => {
    const item = items.get(sku)!;
    return { sku, item_name: item.item_name, quantity, unit_price: item.unit_price };
  });
  const changed = reservationLines.map((line) => {
    const item = items.get(line.sku)!;
    return { ...item, reserved: item.reserved + line.quantity, updated_at: at };
  });
  const reservation: Reservation = {
    order_id: orderId,
    status: "reserved",
    lines: reservationLines,
    total_amount: sumMoney(reservationLines.map((l) => lineTotal(l.quantity, l.unit_price))),
    currency,
    expires_at: new Date(now.getTime() + ttlSeconds * 1000).toISOString(),
    created_at: at,
    updated_at: at,
  };
  const reserved = domainEvent("inventory.reserved", {
    order_id: orderId,
    lines: reservation.lines,
    total_amount: reservation.total_amount,
    currency,
    expires_at: reservation.expires_at!,
    ...(payment ? { payment } : {}),
  });
  return { kind: "reserved", reservation, items: changed, events: [reserved, ...itemEvents(items, changed)] };
}

/**
 * The decision an order's reservation records, to say again when the order
 * asks a second time (a reconciliation re-announcing a stuck order): the
 * reservation as it was made, or the rejection. A tombstone, the mark of an
 * order that ended before anything was reserved, has nothing to say.
 */
export function decisionEvent(reservation: Reservation, payment?: PaymentInstructionData): InventoryEvent | undefined {
  const { order_id } = reservation;
  if (reservation.status === "rejected") {
    const reason = reservation.reason === "unknown_sku" ? "unknown_sku" : "out_of_stock";
    return domainEvent("inventory.rejected", { order_id, reason, skus: reservation.rejected_skus ?? [] });
  }
  if (reservation.status === "cancelled" || reservation.expires_at === undefined) return undefined;
  return domainEvent("inventory.reserved", {
    order_id,
    lines: reservation.lines,
    total_amount: reservation.total_amount,
    currency: reservation.currency,
    expires_at: reservation.expires_at,
    ...(payment ? { payment } : {}),
  });
}

/** A reservation settled: what it and its items became, and what that announces. */
export interface Settled {
  reservation: Reservation;
  items: StockItem[];
  events: InventoryEvent[];
}

/**
 * Settles a held reservation: its lines no longer count as reserved, and
 * `change` says what else each item gives (nothing, or stock on hand). An item
 * deleted since is left alone; its stock left with it.
 */
function settleReservation(
  reservation: Reservation,
  items: ReadonlyMap<string, StockItem>,
  settled: Pick<Reservation, "status"> & Partial<Pick<Reservation, "reason">>,
  change: (item: StockItem, quantity: number) => Partial<StockItem>,
  now: Date,
  announce: (settled: Reservation) => InventoryEvent,
): Settled | undefined {
  if (reservation.status !== "reserved") return undefined;
  const at = now.toISOString();
  const changed = reservation.lines.flatMap((line) => {
    const item = items.get(line.sku);
    return item ? [{ ...item, ...change(item, line.quantity), reserved: Math.max(0, item.reserved - line.quantity), updated_at: at }] : [];
  });
  const next = { ...reservation, ...settled, updated_at: at };
  return { reservation: next, items: changed, events: [announce(next), ...itemEvents(items, changed)] };
}

/** The stock of a reservation given back; only a held reservation has any. */
export function releaseReservation(
  reservation: Reservation,
  items: ReadonlyMap<string, StockItem>,
  reason: ReleaseReason,
  now: Date,
): Settled | undefined {
  return settleReservation(reservation, items, { status: "released", reason }, () => ({}), now, (r) =>
    domainEvent("inventory.released", { order_id: r.order_id, reason, lines: r.lines }),
  );
}

/** The parcel left the warehouse: the reservation becomes a real decrement of stock on hand. */
export function commitReservation(
  reservation: Reservation,
  items: ReadonlyMap<string, StockItem>,
  now: Date,
): Settled | undefined {
  const leaveStock = (item: StockItem, quantity: number) => ({ on_hand: Math.max(0, item.on_hand - quantity) });
  return settleReservation(reservation, items, { status: "committed" }, leaveStock, now, (r) =>
    domainEvent("inventory.committed", { order_id: r.order_id, lines: r.lines }),
  );
}

/** The tombstone of an order called off before stock was reserved for it. */
export function cancelledBeforeReservation(orderId: string, currency: string, now: Date): Reservation {
  const at = now.toISOString();
  return { order_id: orderId, status: "cancelled", lines: [], total_amount: 0, currency, reason: "cancelled", created_at: at, updated_at: at };
}

export interface ItemInput {
  item_name: string;
  unit_price: number;
  on_hand: number;
  low_stock_threshold?: number;
}

export class StockRuleError extends Error {}

/**
 * Creates or replaces an item. Stock already reserved stays reserved, so
 * on_hand may not drop below it (available would be negative).
 */
export function putItem(sku: string, input: ItemInput, existing: StockItem | undefined, currency: string, now: Date): StockItem {
  const reserved = existing?.reserved ?? 0;
  if (input.on_hand < reserved) {
    throw new StockRuleError(`on_hand ${input.on_hand} is below the ${reserved} units reserved for orders`);
  }
  return {
    sku,
    item_name: input.item_name,
    unit_price: input.unit_price,
    currency,
    on_hand: input.on_hand,
    reserved,
    low_stock_threshold: input.low_stock_threshold ?? existing?.low_stock_threshold ?? DEFAULT_LOW_STOCK_THRESHOLD,
    updated_at: now.toISOString(),
  };
}

export function restock(item: StockItem, quantity: number, now: Date): StockItem {
  return { ...item, on_hand: item.on_hand + quantity, updated_at: now.toISOString() };
}
