/**
 * The invariants of the saga (docs/architecture.md#invariants), checked
 * through the public API over everything a test did (its ledger): no order
 * lost, none stuck, money and stock adding up. The end-to-end suite and the
 * fault suite both check them; each violation is named, not just counted.
 */
import { setTimeout as delay } from "node:timers/promises";
import { operatorHeaders } from "./credentials.ts";

export interface Line {
  sku: string;
  quantity: number;
}

/** What a test did that the invariants are checked against. */
export interface Ledger {
  /** Orders the API accepted (201), by id. */
  orders: Map<string, { lines: Line[] }>;
  /** Items stocked: on hand as set plus what was restocked since, by SKU. */
  stocked: Map<string, number>;
}

interface Order {
  id: string;
  status: string;
  total_amount?: number;
}

interface Payment {
  amount: number;
  status: string;
}

interface Item {
  on_hand: number;
  reserved: number;
  available: number;
}

export interface InvariantReport {
  /** Every violation, one line each. */
  violations: string[];
  orders: number;
  byStatus: Record<string, number>;
  captured: number;
  refunded: number;
  owed: number;
}

/** Orders still on their way: not settled. Confirmed and shipped orders wait on a courier, and are settled. */
export const UNSETTLED = ["pending", "processing"];

const cents = (amount: number) => Math.round(amount * 100);

async function get<T>(base: string, path: string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${base}${path}`, { headers: operatorHeaders(), signal: AbortSignal.timeout(10_000) });
      if (response.ok) return (await response.json()) as T;
      if (attempt >= 5 || response.status < 500) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    } catch (err) {
      if (attempt >= 5) throw err;
    }
    await delay(500 * attempt);
  }
}

export function orderOf(base: string, id: string): Promise<Order> {
  return get<Order>(base, `/api/v1/orders/${id}`);
}

async function listAll(base: string): Promise<Order[]> {
  const all: Order[] = [];
  for (let page = 1; ; page++) {
    const body = await get<{ items: Order[]; total: number }>(base, `/api/v1/orders?page=${page}&page_size=100`);
    all.push(...body.items);
    if (body.items.length < 100 || all.length >= body.total) return all;
  }
}

/**
 * Waits until none of the ledger's orders is pending or processing, at most
 * `timeoutMs`; returns the orders as last read and how long it took.
 */
export async function settle(base: string, ledger: Ledger, timeoutMs: number): Promise<{ orders: Order[]; ms: number; settled: boolean }> {
  const started = Date.now();
  const ids = [...ledger.orders.keys()];
  const open = new Set(ids);
  const latest = new Map<string, Order>();
  for (;;) {
    for (const id of open) {
      const order = await orderOf(base, id);
      latest.set(id, order);
      if (!UNSETTLED.includes(order.status)) open.delete(id);
    }
    const orders = ids.map((id) => latest.get(id)!);
    if (open.size === 0) return { orders, ms: Date.now() - started, settled: true };
    if (Date.now() - started > timeoutMs) return { orders, ms: Date.now() - started, settled: false };
    await delay(500);
  }
}

/**
 * How long the listing may lag behind the orders: the list indexes are written
 * by group commits under one lock, and a writer SIGKILLed while holding it
 * keeps it until its lease runs out (30 s, services/kit/coordination/locks.ts);
 * the orders it was placing join at the next flush after that. An order still
 * missing then is lost from the listing.
 */
const LISTING_CATCH_UP_MS = 45_000;

/** The listing, read again until it holds every order of the ledger or LISTING_CATCH_UP_MS passed. */
async function listCaughtUp(base: string, ledger: Ledger): Promise<Order[]> {
  const deadline = Date.now() + LISTING_CATCH_UP_MS;
  for (;;) {
    const listed = await listAll(base);
    const ids = new Set(listed.map((o) => o.id));
    if ([...ledger.orders.keys()].every((id) => ids.has(id)) || Date.now() > deadline) return listed;
    await delay(1000);
  }
}

/** Checks every invariant over the ledger, the orders already settled (or not). */
export async function checkInvariants(base: string, ledger: Ledger, settled: Order[]): Promise<InvariantReport> {
  const violations: string[] = [];
  const listed = await listCaughtUp(base, ledger);
  const listedIds = new Set(listed.map((o) => o.id));
  for (const id of ledger.orders.keys()) if (!listedIds.has(id)) violations.push(`order ${id}: accepted, missing from the listing after ${LISTING_CATCH_UP_MS / 1000} s`);
  const everything = new Map<string, Order>(listed.map((o) => [o.id, o]));
  for (const order of settled) everything.set(order.id, order);
  // The listing is a projection and may lag: an order it shows on its way is read itself.
  for (const order of [...everything.values()]) {
    if (UNSETTLED.includes(order.status)) everything.set(order.id, await orderOf(base, order.id));
  }
  for (const order of everything.values()) {
    if (UNSETTLED.includes(order.status)) violations.push(`order ${order.id}: stuck ${order.status}`);
  }

  // Money: per order, captured minus refunded is its total when it is paid
  // for (confirmed, shipped, delivered) and nothing otherwise.
  let captured = 0;
  let refunded = 0;
  let owed = 0;
  for (const order of everything.values()) {
    let net = 0;
    for (const payment of await get<Payment[]>(base, `/api/v1/payments?order_id=${order.id}`)) {
      if (payment.status === "captured" || payment.status === "refunded") {
        captured += cents(payment.amount);
        net += cents(payment.amount);
      }
      if (payment.status === "refunded") {
        refunded += cents(payment.amount);
        net -= cents(payment.amount);
      }
    }
    const due = ["confirmed", "shipped", "delivered"].includes(order.status) ? cents(order.total_amount ?? 0) : 0;
    owed += due;
    if (net !== due) violations.push(`order ${order.id} (${order.status}): charged ${net / 100}, owes ${due / 100}`);
  }

  // Stock: available never negative; reserved is what confirmed orders hold;
  // on hand is what was stocked less what shipped; cancelled and failed
  // orders gave theirs back.
  const held = new Map<string, number>();
  const shipped = new Map<string, number>();
  for (const [id, { lines }] of ledger.orders) {
    const status = everything.get(id)?.status;
    for (const line of lines) {
      if (status === "confirmed") held.set(line.sku, (held.get(line.sku) ?? 0) + line.quantity);
      if (status === "shipped" || status === "delivered") shipped.set(line.sku, (shipped.get(line.sku) ?? 0) + line.quantity);
    }
  }
  for (const [sku, stocked] of ledger.stocked) {
    const item = await get<Item>(base, `/api/v1/inventory/${sku}`);
    if (item.available < 0) violations.push(`${sku}: available ${item.available}`);
    if (item.reserved !== (held.get(sku) ?? 0)) violations.push(`${sku}: reserved ${item.reserved}, confirmed orders hold ${held.get(sku) ?? 0}`);
    if (item.on_hand !== stocked - (shipped.get(sku) ?? 0)) violations.push(`${sku}: on hand ${item.on_hand}, stocked ${stocked} - shipped ${shipped.get(sku) ?? 0}`);
  }

  const byStatus: Record<string, number> = {};
  for (const order of everything.values()) byStatus[order.status] = (byStatus[order.status] ?? 0) + 1;
  return { violations, orders: everything.size, byStatus, captured, refunded, owed };
}
