/**
 * Rebuilding the read side from the services' own APIs: the operator's way
 * back when the views went wrong (a bug in a rule, a lost database, counts
 * left short by a crash). The views and statistics are dropped; then every
 * order, with its charge and its shipment, and every SKU's stock is read
 * from the order, payment, tracking and inventory services and told to the
 * projection as the events that would have made it so, under ids of their
 * own. Events keep applying meanwhile: the projection's rules already take
 * events in any order and more than once (a snapshot never replaced by an
 * older one, each status and money move counted once per order), so an
 * event that arrives during or after the rebuild lands as it would have.
 */
import type { OrderStatus } from "../contracts/api/orders.ts";
import type { OrderSnapshot } from "../contracts/events.ts";
import type { Logger } from "../kit/logger.ts";
import type { ProjectedEvent } from "./projection.ts";

/** An order as the order service answers it. */
export type OrderRecord = OrderSnapshot & { history: Array<{ status: OrderStatus; at: string; reason?: string }> };

/** A charge as the payment service answers it. */
export interface ChargeRecord {
  id: string;
  order_id: string;
  amount: number;
  currency: string;
  status: string;
  decline_reason?: string;
  created_at: string;
  updated_at: string;
}

/** A shipment as the tracking service answers it. */
export interface ShipmentRecord {
  id: string;
  order_id: string;
  tracking_number: string;
  status: string;
  courier: string;
  estimated_delivery: string;
  updated_at: string;
}

/** A SKU's stock as the inventory service answers it. */
export interface StockRecord {
  sku: string;
  item_name: string;
  on_hand: number;
  reserved: number;
  available: number;
  low_stock_threshold: number;
}

/** What the rebuild reads, page by page (the services' APIs; fakes in unit tests). */
export interface ServiceRecords {
  orders(page: number, pageSize: number): Promise<{ items: OrderRecord[]; total: number }>;
  charges(orderId: string): Promise<ChargeRecord[]>;
  shipments(orderId: string): Promise<ShipmentRecord[]>;
  stock(page: number, pageSize: number): Promise<{ items: StockRecord[]; total: number }>;
}

/** What the rebuild needs of the read model. */
export interface Rebuildable {
  apply(event: ProjectedEvent): Promise<boolean>;
  clear(): Promise<void>;
}

type Of<T extends ProjectedEvent["type"]> = Extract<ProjectedEvent, { type: T }>;

/** The events that make an order's view what the services say it is now. */
export function eventsOfOrder(order: OrderRecord, charges: ChargeRecord[], shipments: ShipmentRecord[]): ProjectedEvent[] {
  const id = (what: string) => `rebuild:${order.id}:${what}`;
  const events: ProjectedEvent[] = [];
  const { id: orderId, history, ...snapshot } = order;
  const now: OrderSnapshot = { id: orderId, ...snapshot };
  // Each status it went through (pending first), with the order as it was
  // then as far as its record tells; then the order as it is.
  history.forEach((step, i) => {
    const then: OrderSnapshot = { ...now, status: step.status, updated_at: step.at };
    events.push({
      id: id(`status:${i}`),
      type: "order.status_changed",
      time: step.at,
      data: { order_id: orderId, status: step.status, previous_status: i === 0 ? step.status : history[i - 1]!.status, ...(step.reason ? { reason: step.reason } : {}), order: then },
    } as Of<"order.status_changed">);
  });
  events.push({ id: id("now"), type: "order.updated", time: order.updated_at, data: { order_id: orderId, order: now } } as Of<"order.updated">);
  for (const charge of charges) {
    const money = { order_id: orderId, payment_id: charge.id, amount: charge.amount, currency: charge.currency };
    if (charge.status === "captured" || charge.status === "refunded") {
      // A refunded charge was captured first; when is not kept apart.
      const capturedAt = charge.status === "captured" ? charge.updated_at : charge.created_at;
      events.push({ id: id(`charge:${charge.id}:captured`), type: "payment.captured", time: capturedAt, data: money } as Of<"payment.captured">);
    }
    if (charge.status === "refunded") events.push({ id: id(`charge:${charge.id}:refunded`), type: "payment.refunded", time: charge.updated_at, data: money } as Of<"payment.refunded">);
    if (charge.status === "declined") {
      const data = { ...money, ...(charge.decline_reason ? { decline_reason: charge.decline_reason } : {}) };
      events.push({ id: id(`charge:${charge.id}:declined`), type: "payment.declined", time: charge.updated_at, data } as Of<"payment.declined">);
    }
  }
  for (const shipment of shipments) {
    const known = { order_id: orderId, shipment_id: shipment.id, tracking_number: shipment.tracking_number };
    events.push({
      id: id(`shipment:${shipment.id}`),
      type: "shipment.created",
      time: shipment.updated_at,
      data: { ...known, courier: shipment.courier, estimated_delivery: shipment.estimated_delivery },
    } as Of<"shipment.created">);
    if (shipment.status !== "created") {
      events.push({
        id: id(`shipment:${shipment.id}:${shipment.status}`),
        type: "shipment.status_changed",
        time: shipment.updated_at,
        data: { ...known, status: shipment.status, at: shipment.updated_at },
      } as Of<"shipment.status_changed">);
    }
  }
  return events;
}

/** The events that make a SKU's view what inventory says it is at `at`. */
export function eventsOfStock(item: StockRecord, at: string): ProjectedEvent[] {
  const id = (what: string) => `rebuild:${item.sku}:${what}:${at}`;
  const events: ProjectedEvent[] = [
    { id: id("stock"), type: "inventory.stock_changed", time: at, data: { sku: item.sku, on_hand: item.on_hand, reserved: item.reserved, available: item.available } } as Of<"inventory.stock_changed">,
  ];
  if (item.available < item.low_stock_threshold) {
    events.push({
      id: id("low"),
      type: "inventory.low_stock",
      time: at,
      data: { sku: item.sku, item_name: item.item_name, available: item.available, low_stock_threshold: item.low_stock_threshold },
    } as Of<"inventory.low_stock">);
  }
  return events;
}

/** How a rebuild goes: GET /api/v1/dashboard/rebuild. */
export interface RebuildState {
  state: "idle" | "running" | "done" | "failed";
  started_at?: string;
  finished_at?: string;
  orders: number;
  skus: number;
  /** Orders the order service counted when the rebuild began. */
  orders_total?: number;
  error?: string;
}

const PAGE = 100;
/** Orders read and applied at once (each is three calls, then a few writes). */
const AT_ONCE = 8;

/** Runs one rebuild at a time, in the background, and tells how it goes. */
export class Rebuilder {
  #state: RebuildState = { state: "idle", orders: 0, skus: 0 };
  readonly #model: Rebuildable;
  readonly #records: ServiceRecords;
  readonly #logger: Logger;
  readonly #now: () => Date;

  constructor(model: Rebuildable, records: ServiceRecords, logger: Logger, now: () => Date = () => new Date()) {
    this.#model = model;
    this.#records = records;
    this.#logger = logger;
    this.#now = now;
  }

  get state(): RebuildState {
    return { ...this.#state };
  }

  /** Starts a rebuild unless one runs; answers whether this call started it, and the state. */
  start(): { started: boolean; state: RebuildState; done: Promise<void> } {
    if (this.#state.state === "running") return { started: false, state: this.state, done: Promise.resolve() };
    this.#state = { state: "running", started_at: this.#now().toISOString(), orders: 0, skus: 0 };
    const done = this.#run().then(
      () => {
        this.#state = { ...this.#state, state: "done", finished_at: this.#now().toISOString() };
        this.#logger.info({ orders: this.#state.orders, skus: this.#state.skus }, "read side rebuilt from the services' APIs");
      },
      (err: unknown) => {
        this.#state = { ...this.#state, state: "failed", finished_at: this.#now().toISOString(), error: (err as Error).message };
        this.#logger.error({ err }, "rebuilding the read side failed; run it again");
      },
    );
    return { started: true, state: this.state, done };
  }

  async #run(): Promise<void> {
    await this.#model.clear();
    for (let page = 1; ; page++) {
      const { items, total } = await this.#records.stock(page, PAGE);
      const at = this.#now().toISOString();
      for (const item of items) {
        for (const event of eventsOfStock(item, at)) await this.#model.apply(event);
        this.#state.skus += 1;
      }
      if (items.length < PAGE || page * PAGE >= total) break;
    }
    for (let page = 1; ; page++) {
      const { items, total } = await this.#records.orders(page, PAGE);
      this.#state.orders_total ??= total;
      for (let i = 0; i < items.length; i += AT_ONCE) {
        await Promise.all(items.slice(i, i + AT_ONCE).map((order) => this.#order(order)));
      }
      if (items.length < PAGE || page * PAGE >= total) break;
    }
  }

  async #order(order: OrderRecord): Promise<void> {
    const [charges, shipments] = await Promise.all([this.#records.charges(order.id), this.#records.shipments(order.id)]);
    for (const event of eventsOfOrder(order, charges, shipments)) await this.#model.apply(event);
    this.#state.orders += 1;
  }
}
