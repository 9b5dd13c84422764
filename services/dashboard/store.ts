/**
 * The read model in MongoDB, through mongoose: the only code of the platform
 * that knows a database. One document per order, per SKU and per minute of
 * statistics, each written by the projection's rules (projection.ts):
 * a view is read, the event applied, and the view written back only if its
 * revision is still the one read (another delivery may have won meanwhile;
 * then it is read again). Statistics are increments, made once per order
 * because the projection reports each effect once.
 *
 * Works on MongoDB and on FerretDB (which the scripts run here): only
 * finds, counts, replaces and increments, no aggregation stages.
 */
import mongoose from "mongoose";
import type { Connection, Model } from "mongoose";
import type { OrderStatus } from "../contracts/api/orders.ts";
import { ORDER_STATUSES } from "../contracts/api/orders.ts";
import { applyToOrder, applyToSku, minuteOf, orderIdOf, percentile, SKU_EVENT_TYPES } from "./projection.ts";
import type { Effect, OrderView, ProjectedEvent, SkuView } from "./projection.ts";

/** A stored view: the view, its key and its revision (for compare-and-set). */
type Stored<V> = V & { _id: string; rev: number };

/** One minute's counts. */
export interface MinuteStats {
  minute: string;
  created: number;
  confirmed: number;
  failed: number;
  /** Money captured minus money refunded. */
  revenue: number;
  saga_ms_sum: number;
}

/** What GET /api/v1/dashboard/summary answers. */
export interface Summary {
  as_of: string;
  orders_by_status: Record<OrderStatus, number>;
  last_hour: { created: number; confirmed: number; failed: number; revenue: number; per_minute: MinuteStats[] };
  saga_latency_ms: { p50: number | null; p95: number | null; samples: number };
  low_stock: Array<{ sku: string; item_name?: string; available: number; low_stock_threshold: number }>;
  courier_load: Array<{ courier: string; active_shipments: number }>;
}

/** The filters of GET /api/v1/search/orders, already checked. */
export interface OrderSearch {
  /** An email (exact, any case) or words of the customer's name. */
  customer?: string;
  sku?: string;
  status?: OrderStatus;
  created_from?: string;
  created_to?: string;
  /** Words that must all be among the order's terms (ids, names, SKUs, tracking number). */
  text?: string;
  sort: "created_at" | "-created_at";
  offset: number;
  limit: number;
}

/** Shipment statuses that still keep a courier busy. */
const ACTIVE_SHIPMENT = ["created", "picked_up", "in_transit", "out_for_delivery", "delivery_failed"];

const orderSchema = new mongoose.Schema(
  {
    _id: String,
    rev: Number,
    id: String,
    status: { type: String, enum: ORDER_STATUSES },
    status_reason: String,
    customer_name: String,
    customer_email: String,
    items: [{ _id: false, sku: String, item_name: String, quantity: Number, unit_price: Number }],
    skus: [String],
    total_amount: Number,
    currency: String,
    payment: { type: new mongoose.Schema({ id: String, status: String, amount: Number, currency: String, decline_reason: String }, { _id: false }), default: undefined },
    shipment: {
      type: new mongoose.Schema({ id: String, tracking_number: String, courier: String, status: String, estimated_delivery: String, at: String }, { _id: false }),
      default: undefined,
    },
    history: [{ _id: false, status: String, at: String, reason: String }],
    created_at: String,
    updated_at: String,
    confirmed_at: String,
    saga_ms: Number,
    failed_at: String,
    terms: [String],
    applied: [String],
  },
  { versionKey: false, minimize: true },
);
// The searches and the summary's queries, newest first.
orderSchema.index({ created_at: -1 });
orderSchema.index({ status: 1, created_at: -1 });
orderSchema.index({ customer_email: 1, created_at: -1 });
orderSchema.index({ skus: 1, created_at: -1 });
orderSchema.index({ terms: 1 });
orderSchema.index({ confirmed_at: 1 });
orderSchema.index({ "shipment.status": 1 });

const skuSchema = new mongoose.Schema(
  {
    _id: String,
    rev: Number,
    sku: String,
    item_name: String,
    on_hand: Number,
    reserved: Number,
    available: Number,
    low_stock_threshold: Number,
    as_of: String,
    low_stock_at: String,
    applied: [String],
  },
  { versionKey: false },
);
skuSchema.index({ low_stock_threshold: 1 });

const minuteSchema = new mongoose.Schema(
  { _id: String, created: Number, confirmed: Number, failed: Number, revenue: Number, saga_ms_sum: Number },
  { versionKey: false },
);

/** A write that lost to another for the same document: read again and retry. */
const MAX_ATTEMPTS = 20;

function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}

/** Without mongoose's and the store's own fields. */
function plain<V>(stored: Stored<V> | null): V | undefined {
  if (!stored) return undefined;
  const { _id: _key, rev: _rev, ...view } = stored;
  return view as unknown as V;
}

export class ReadModel {
  readonly #connection: Connection;
  readonly #orders: Model<Stored<OrderView>>;
  readonly #skus: Model<Stored<SkuView>>;
  readonly #minutes: Model<{ _id: string } & Partial<Omit<MinuteStats, "minute">>>;

  private constructor(connection: Connection) {
    this.#connection = connection;
    this.#orders = connection.model<Stored<OrderView>>("Order", orderSchema, "orders");
    this.#skus = connection.model<Stored<SkuView>>("Sku", skuSchema, "skus");
    this.#minutes = connection.model<{ _id: string } & Partial<Omit<MinuteStats, "minute">>>("Minute", minuteSchema, "minutes");
  }

  /** Connects to `url` (mongodb://…/database) and makes the indexes the queries use. */
  static async connect(url: string, options: { timeoutMs?: number } = {}): Promise<ReadModel> {
    const connection = await mongoose
      .createConnection(url, { serverSelectionTimeoutMS: options.timeoutMs ?? 10_000, autoIndex: false, autoCreate: false })
      .asPromise();
    const model = new ReadModel(connection);
    await model.#orders.createIndexes();
    await model.#skus.createIndexes();
    return model;
  }

  /** The indexes of the orders collection, by name. */
  async orderIndexes(): Promise<string[]> {
    return (await this.#orders.collection.indexes()).map((index) => index.name ?? "");
  }

  /** Resolves when the database answers. */
  async ping(): Promise<void> {
    const db = this.#connection.db;
    if (!db) throw new Error("not connected to MongoDB");
    await db.admin().ping();
  }

  /** Applies one event to the views it concerns; true if it changed anything. */
  async apply(event: ProjectedEvent): Promise<boolean> {
    const orderId = orderIdOf(event);
    if (orderId) return this.#applyToOrder(orderId, event);
    if ((SKU_EVENT_TYPES as readonly string[]).includes(event.type)) return this.#applyToSku(event.data as { sku: string }, event);
    return false;
  }

  async #applyToOrder(orderId: string, event: ProjectedEvent): Promise<boolean> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const stored = await this.#orders.findById(orderId).lean<Stored<OrderView>>();
      const before = plain(stored);
      const { view, effects } = applyToOrder(before, event);
      if (view === before) return false; // applied before
      if (await this.#write(this.#orders, orderId, stored?.rev, view)) {
        await this.#count(effects);
        return true;
      }
    }
    throw new Error(`order ${orderId}: ${MAX_ATTEMPTS} writes lost to others in a row`);
  }

  async #applyToSku(data: { sku: string }, event: ProjectedEvent): Promise<boolean> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const stored = await this.#skus.findById(data.sku).lean<Stored<SkuView>>();
      const before = plain(stored);
      const view = applyToSku(before, event);
      if (view === before) return false;
      if (await this.#write(this.#skus, data.sku, stored?.rev, view)) return true;
    }
    throw new Error(`SKU ${data.sku}: ${MAX_ATTEMPTS} writes lost to others in a row`);
  }

  /** Writes `view` as revision rev + 1 if the stored one is still `rev` (absent: not stored yet). */
  async #write<V extends object>(model: Model<Stored<V>>, id: string, rev: number | undefined, view: V): Promise<boolean> {
    const next = { ...view, _id: id, rev: (rev ?? 0) + 1 } as Stored<V>;
    if (rev === undefined) {
      try {
        await model.collection.insertOne(next as never);
        return true;
      } catch (err) {
        if (isDuplicateKey(err)) return false;
        throw err;
      }
    }
    const result = await model.collection.replaceOne({ _id: id, rev } as never, next as never);
    return result.matchedCount === 1;
  }

  async #count(effects: Effect[]): Promise<void> {
    for (const effect of effects) {
      const inc: Record<string, number> = {};
      if (effect.kind === "created") inc.created = 1;
      if (effect.kind === "confirmed") Object.assign(inc, { confirmed: 1, saga_ms_sum: effect.saga_ms });
      if (effect.kind === "failed") inc.failed = 1;
      if (effect.kind === "captured") inc.revenue = effect.amount;
      if (effect.kind === "refunded") inc.revenue = -effect.amount;
      await this.#minutes.collection.updateOne({ _id: minuteOf(effect.at) } as never, { $inc: inc }, { upsert: true });
    }
  }

  /** How things stand at `now`: counts, the last hour, the saga's latency, low stock, couriers' load. */
  async summary(now: Date = new Date()): Promise<Summary> {
    const hourAgo = new Date(now.getTime() - 3600_000).toISOString();
    const counts = await Promise.all(ORDER_STATUSES.map((status) => this.#orders.countDocuments({ status })));
    const minutes = await this.#minutes.find({ _id: { $gte: minuteOf(hourAgo) } }).sort({ _id: 1 }).lean();
    const perMinute: MinuteStats[] = minutes.map((m) => ({
      minute: m._id,
      created: m.created ?? 0,
      confirmed: m.confirmed ?? 0,
      failed: m.failed ?? 0,
      revenue: Math.round((m.revenue ?? 0) * 100) / 100,
      saga_ms_sum: m.saga_ms_sum ?? 0,
    }));
    const sum = (field: "created" | "confirmed" | "failed" | "revenue") => perMinute.reduce((total, m) => total + m[field], 0);
    const sagas = (await this.#orders.find({ confirmed_at: { $gte: hourAgo } }, { saga_ms: 1 }).lean()).map((o) => o.saga_ms ?? 0).sort((a, b) => a - b);
    const skus = await this.#skus.find({ low_stock_threshold: { $exists: true } }).lean();
    const low = skus
      .filter((s) => s.available !== undefined && s.available <= (s.low_stock_threshold ?? 0))
      .map((s) => ({ sku: s.sku, ...(s.item_name ? { item_name: s.item_name } : {}), available: s.available!, low_stock_threshold: s.low_stock_threshold! }))
      .sort((a, b) => a.available - b.available || a.sku.localeCompare(b.sku));
    const shipped = await this.#orders.find({ "shipment.status": { $in: ACTIVE_SHIPMENT } }, { shipment: 1 }).lean();
    const load = new Map<string, number>();
    for (const order of shipped) {
      const courier = order.shipment?.courier;
      if (courier) load.set(courier, (load.get(courier) ?? 0) + 1);
    }
    return {
      as_of: now.toISOString(),
      orders_by_status: Object.fromEntries(ORDER_STATUSES.map((status, i) => [status, counts[i]!])) as Record<OrderStatus, number>,
      last_hour: { created: sum("created"), confirmed: sum("confirmed"), failed: sum("failed"), revenue: Math.round(sum("revenue") * 100) / 100, per_minute: perMinute },
      saga_latency_ms: { p50: percentile(sagas, 50) ?? null, p95: percentile(sagas, 95) ?? null, samples: sagas.length },
      low_stock: low,
      courier_load: [...load].map(([courier, active]) => ({ courier, active_shipments: active })).sort((a, b) => b.active_shipments - a.active_shipments || a.courier.localeCompare(b.courier)),
    };
  }

  /** The MongoDB filter of a search. */
  static filterOf(search: OrderSearch): Record<string, unknown> {
    const filter: Record<string, unknown> = {};
    const terms: string[] = [];
    if (search.customer) {
      if (search.customer.includes("@")) filter.customer_email = search.customer.toLowerCase();
      else terms.push(...search.customer.toLowerCase().split(/\s+/).filter(Boolean));
    }
    if (search.text) terms.push(...search.text.toLowerCase().split(/\s+/).filter(Boolean));
    if (terms.length > 0) filter.terms = { $all: [...new Set(terms)] };
    if (search.sku) filter.skus = search.sku;
    if (search.status) filter.status = search.status;
    if (search.created_from || search.created_to) {
      filter.created_at = { ...(search.created_from ? { $gte: search.created_from } : {}), ...(search.created_to ? { $lt: search.created_to } : {}) };
    }
    return filter;
  }

  /** A page of the orders a search finds, and how many it finds in all. */
  async searchOrders(search: OrderSearch): Promise<{ items: OrderView[]; total: number }> {
    const filter = ReadModel.filterOf(search);
    const direction = search.sort === "created_at" ? 1 : -1;
    const [docs, total] = await Promise.all([
      this.#orders.find(filter, { applied: 0, terms: 0 }).sort({ created_at: direction, _id: direction }).skip(search.offset).limit(search.limit).lean(),
      this.#orders.countDocuments(filter),
    ]);
    return { items: docs.map((doc) => plain(doc as unknown as Stored<OrderView>)!), total };
  }

  /** How the database would run a search (its explain output). */
  async explainSearch(search: OrderSearch): Promise<unknown> {
    return this.#orders.find(ReadModel.filterOf(search)).sort({ created_at: -1 }).limit(search.limit).explain();
  }

  /** Drops every view and statistic (before a rebuild). */
  async clear(): Promise<void> {
    await Promise.all([this.#orders.deleteMany({}), this.#skus.deleteMany({}), this.#minutes.deleteMany({})]);
  }

  async close(): Promise<void> {
    await this.#connection.close();
  }
}
