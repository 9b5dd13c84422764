/**
 * What the end-to-end flows share: the public API through the gateway, the
 * sidecars (to publish events as another service would), the test mailbox,
 * and a ledger of everything the suite did, which the invariant check reads
 * at the end.
 */
import { expect } from "chai";
import request from "supertest";
import { operatorHeaders } from "../support/credentials.ts";
import { system } from "../support/system-hooks.ts";
import { eventDeliveries, eventually } from "../support/system.ts";
import type { MailMessage } from "../support/system.ts";

export interface Line {
  sku: string;
  item_name: string;
  quantity: number;
}

export interface OrderBody {
  id: string;
  status: string;
  status_reason?: string;
  items: Array<Line & { unit_price?: number }>;
  total_amount?: number;
  currency?: string;
  payment_id?: string;
  shipment_id?: string;
  tracking_number?: string;
  customer_email: string;
  history: Array<{ status: string; at: string; reason?: string }>;
}

export interface Item {
  sku: string;
  on_hand: number;
  reserved: number;
  available: number;
  unit_price: number;
  low_stock_threshold: number;
}

export interface Payment {
  id: string;
  order_id: string;
  amount: number;
  status: string;
  decline_reason?: string;
}

export interface Shipment {
  id: string;
  order_id: string;
  tracking_number: string;
  status: string;
  courier: string;
  events: Array<{ status: string; location?: string }>;
  last_location?: { lat: number; lon: number };
}

/** Everything the suite did that the invariants are checked against. */
export const ledger = {
  /** Orders the API accepted (201), by id. */
  orders: new Map<string, { lines: Line[] }>(),
  /** Items the suite stocked: on hand as set plus what was restocked since. */
  stocked: new Map<string, number>(),
};

/** When the first flow began, for the suite's running time. */
export const suiteClock = { startedAt: 0 };

/** The public API as the development operator, who may call every operation. */
export function api() {
  return request.agent(system().gatewayUrl).set(operatorHeaders());
}

/** The public API with no credentials, or with the given ones. */
export function apiAs(headers: Record<string, string> = {}) {
  return request.agent(system().gatewayUrl).set(headers);
}

let counter = 0;
/** A name no other test (or earlier run) uses. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}

/** Creates an item with `onHand` units and records it in the ledger. */
export async function stock(onHand: number, unitPrice: number, lowStockThreshold = 0): Promise<string> {
  const sku = unique("E2E");
  await api()
    .put(`/api/v1/inventory/${sku}`)
    .send({ item_name: `Item ${sku}`, unit_price: unitPrice, on_hand: onHand, low_stock_threshold: lowStockThreshold })
    .expect(200);
  ledger.stocked.set(sku, onHand);
  return sku;
}

export async function restock(sku: string, quantity: number): Promise<Item> {
  const response = await api().post(`/api/v1/inventory/${sku}/restock`).send({ quantity }).expect(200);
  ledger.stocked.set(sku, (ledger.stocked.get(sku) ?? 0) + quantity);
  return response.body as Item;
}

export function orderRequest(lines: Array<{ sku: string; quantity: number }>, options: { card?: string; email?: string } = {}) {
  return {
    customer_name: "Grace Hopper",
    customer_email: options.email ?? `${unique("customer")}@example.com`.toLowerCase(),
    origin_address: "1 Depot Road, Rotterdam",
    destination_address: "42 Harbour Street, Antwerp",
    package_weight: 3.2,
    package_dimensions: "40x30x20",
    items: lines.map((l) => ({ sku: l.sku, item_name: `Item ${l.sku}`, quantity: l.quantity })),
    ...(options.card ? { payment: { method: "card", card_token: options.card } } : {}),
  };
}

/** Places an order (201) and records it in the ledger. */
export async function placeOrder(lines: Array<{ sku: string; quantity: number }>, options: { card?: string; email?: string } = {}): Promise<OrderBody> {
  const body = orderRequest(lines, options);
  const response = await api().post("/api/v1/orders").send(body).expect(201);
  const order = response.body as OrderBody;
  ledger.orders.set(order.id, { lines: body.items });
  return order;
}

export async function orderOf(id: string): Promise<OrderBody> {
  return (await api().get(`/api/v1/orders/${id}`).expect(200)).body as OrderBody;
}

const TERMINAL = ["delivered", "cancelled", "failed"];

/** Waits until the order has `status`; fails at once if it ends in another final status. */
export async function waitForStatus(id: string, status: string, timeoutMs = 30_000): Promise<OrderBody> {
  const order = await eventually(
    () => orderOf(id),
    (o) => o.status === status || (TERMINAL.includes(o.status) && o.status !== status),
    timeoutMs,
  );
  expect(order.status, `order ${id} (${order.status_reason ?? "no reason"})`).to.equal(status);
  return order;
}

/** Waits until `read` gives a value that `done` accepts. */
export { eventually };

export async function itemOf(sku: string): Promise<Item> {
  return (await api().get(`/api/v1/inventory/${sku}`).expect(200)).body as Item;
}

export async function paymentsOf(orderId: string): Promise<Payment[]> {
  return (await api().get(`/api/v1/payments?order_id=${orderId}`).expect(200)).body as Payment[];
}

export async function shipmentsOf(orderId: string): Promise<Shipment[]> {
  return (await api().get(`/api/v1/shipments?order_id=${orderId}`).expect(200)).body as Shipment[];
}

export async function notificationsOf(orderId: string): Promise<Array<{ template: string; recipient: string; channel: string; status: string }>> {
  return (await api().get(`/api/v1/notifications?order_id=${orderId}`).expect(200)).body;
}

/** A courier scan; expects `status` as the answer's HTTP status. */
export async function scan(shipmentId: string, body: Record<string, unknown>, expected = 200) {
  return api().post(`/api/v1/shipments/${shipmentId}/events`).send(body).expect(expected);
}

/** The messages the mailbox received for `to`. */
export function mailTo(to: string): MailMessage[] {
  return system().mail.filter((m) => m.to.includes(to));
}

/** Waits for the messages to `to` to have exactly these subjects (in any order). */
export async function waitForMail(to: string, subjects: string[]): Promise<MailMessage[]> {
  await eventually(
    async () => mailTo(to).map((m) => m.headers.subject ?? ""),
    (got) => subjects.every((s) => got.includes(s)),
    20_000,
  );
  return mailTo(to);
}

/** Publishes a CloudEvent as is (its id kept) through an app's sidecar, as that app would. */
export async function publishThrough(appId: string, topic: string, cloudEvent: Record<string, unknown>): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${system().daprPort(appId)}/v1.0/publish/pubsub/${topic}`, {
    method: "POST",
    headers: { "content-type": "application/cloudevents+json", "dapr-api-token": system().daprApiToken },
    body: JSON.stringify(cloudEvent),
  });
  expect(response.status).to.equal(204);
}

/** The dead letters an app kept, by dead-letter topic (asked through service invocation). */
/** An app's kept dead letters, by dead-letter topic, as an operator sees them through the gateway. */
export async function deadLettersOf(appId: string): Promise<Record<string, Array<{ id: string; type: string }>>> {
  const response = await api().get(`/api/v1/dead-letters/${appId}`).expect(200);
  return response.body as Record<string, Array<{ id: string; type: string }>>;
}

/** dapr_events_total of an app for one event type and outcome. */
export function deliveries(appId: string, type: string, outcome: string): Promise<number> {
  return eventDeliveries(system(), appId, type, outcome);
}

/** Every order the listing holds, page by page. */
export async function listAllOrders(): Promise<OrderBody[]> {
  const all: OrderBody[] = [];
  for (let page = 1; ; page++) {
    const body = (await api().get(`/api/v1/orders?page=${page}&page_size=100`).expect(200)).body as { items: OrderBody[]; total: number };
    all.push(...body.items);
    if (body.items.length < 100 || all.length >= body.total) return all;
  }
}
