/**
 * The read model in MongoDB, through mongoose: the only code of the platform
 * that knows a database. One document per order, per SKU and per minute of
 * statistics, each written by the projection's rules (projection.ts): a view
 * is read, the event applied, and the view written back. One dashboard
 * replica projects (its deployment keeps one), and within it the deliveries
 * of one view take turns (SerialKeys), so a view is never written from a
 * stale read, and the views it wrote last need not be read again
 * (RecentViews); two deliveries creating one view meet at the insert's unique
 * _id, and the loser reads again. Writes select by _id alone, the one filter
 * FerretDB's SQLite backend looks up instead of scanning the collection.
 * Statistics are increments, made once per order because the projection
 * reports each effect once; so are the running totals of orders by status
 * and couriers' active shipments (a view's change, tallyDelta), which the
 * summary reads instead of counting views. A crash between a view's write
 * and its increments leaves them short by that change: the rebuild counts
 * them anew.
 *
 * Works on MongoDB and on FerretDB (which the scripts run here): only
 * finds, counts, replaces and increments, no aggregation stages.
 */
import mongoose from "mongoose";
import type { Connection, Model } from "mongoose";
import type { OrderStatus } from "../contracts/api/orders.ts";
import { ORDER_STATUSES } from "../contracts/api/orders.ts";
import { applyToOrder, applyToSku, bucketPercentile, minuteOf, orderIdOf, SAGA_BUCKETS_MS, sagaBucket, SKU_EVENT_TYPES, tallyDelta } from "./projection.ts";
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
  /** Of the sagas confirmed in the last hour; each percentile at most 10 % above the exact one (SAGA_BUCKETS_MS). */
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
    counted: { type: new mongoose.Schema({ captured: Boolean, refunded: Boolean }, { _id: false }), default: undefined },
  },
  { versionKey: false, minimize: true },
);
// The searches, newest first (the summary reads running totals instead).
orderSchema.index({ created_at: -1 });
orderSchema.index({ status: 1, created_at: -1 });
orderSchema.index({ customer_email: 1, created_at: -1 });
orderSchema.index({ skus: 1, created_at: -1 });
orderSchema.index({ terms: 1 });

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

// A minute's counts, and its saga times as a histogram: saga_<bucket> fields
// (SAGA_BUCKETS_MS), incremented like the counts.
const minuteSchema = new mongoose.Schema(
  { _id: String, created: Number, confirmed: Number, failed: Number, revenue: Number, saga_ms_sum: Number },
  { versionKey: false, strict: false },
);

// Running totals the summary reads instead of counting views: `status:<s>`
// (orders by status) and `courier:<name>` (active shipments), kept by the
// changes of each order view (tallyDelta).
const tallySchema = new mongoose.Schema({ _id: String, n: Number }, { versionKey: false });

/** A write that lost to another for the same document: read again and retry. */
const MAX_ATTEMPTS = 20;

/**
 * The views this replica wrote or read last, the least recent dropped
 * first. It is their only writer, so they are as stored: an order's later
 * events find its view here instead of reading it again.
 */
export class RecentViews<V> {
  readonly #views = new Map<string, V>();
  readonly #capacity: number;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(id: string): V | undefined {
    const view = this.#views.get(id);
    if (view !== undefined) this.set(id, view);
    return view;
  }

  set(id: string, view: V): void {
    this.#views.delete(id);
    this.#views.set(id, view);
    if (this.#views.size > this.#capacity) this.#views.delete(this.#views.keys().next().value!);
  }

  delete(id: string): void {
    this.#views.delete(id);
  }

  clear(): void {
    this.#views.clear();
  }

  get size(): number {
    return this.#views.size;
  }
}

/** How many views of each kind RecentViews keeps (an order's saga takes seconds; 10,000 is minutes of orders at 20/s). */
const RECENT_VIEWS = 10_000;

/** A kind of view: its collection and the ones written last. */
interface Views<V> {
  model: Model<Stored<V>>;
  recent: RecentViews<Stored<V>>;
}

/** Runs tasks of one key one after another, and tasks of different keys at once. */
export class SerialKeys {
  readonly #tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => {});
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** How many keys have tasks queued or running. */
  get size(): number {
    return this.#tails.size;
  }
}

function isDuplicateKey(err: unknown): boolean {
  return (err as { code?: number }).code === 11000;
}

/** Without mongoose's and the store's own fields. */
function plain<V>(stored: Stored<V> | null | undefined): V | undefined {
  if (!stored) return undefined;
  const { _id: _key, rev: _rev, ...view } = stored;
  return view as unknown as V;
}

export class ReadModel {
  readonly #connection: Connection;
  readonly #orders: Model<Stored<OrderView>>;
  readonly #skus: Model<Stored<SkuView>>;
  readonly #minutes: Model<{ _id: string } & Partial<Omit<MinuteStats, "minute">>>;
  readonly #tallies: Model<{ _id: string; n: number }>;
  readonly #serial = new SerialKeys();
  /** Applies at work, and a clear() waiting for them to end (new applies wait for the clear). */
  #inFlight = 0;
  #drained: (() => void) | undefined;
  #clearing: Promise<void> | undefined;
  readonly #orderViews: Views<OrderView>;
  readonly #skuViews: Views<SkuView>;

  private constructor(connection: Connection) {
    this.#connection = connection;
    this.#orders = connection.model<Stored<OrderView>>("Order", orderSchema, "orders");
    this.#skus = connection.model<Stored<SkuView>>("Sku", skuSchema, "skus");
    this.#minutes = connection.model<{ _id: string } & Partial<Omit<MinuteStats, "minute">>>("Minute", minuteSchema, "minutes");
    this.#tallies = connection.model<{ _id: string; n: number }>("Tally", tallySchema, "tallies");
    this.#orderViews = { model: this.#orders, recent: new RecentViews(RECENT_VIEWS) };
    this.#skuViews = { model: this.#skus, recent: new RecentViews(RECENT_VIEWS) };
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
    while (this.#clearing) await this.#clearing;
    this.#inFlight += 1;
    try {
      return await this.#apply(event);
    } finally {
      this.#inFlight -= 1;
      if (this.#inFlight === 0) this.#drained?.();
    }
  }

  async #apply(event: ProjectedEvent): Promise<boolean> {
    const orderId = orderIdOf(event);
    if (orderId) {
      const rule = (before: OrderView | undefined) => {
        const { view, effects } = applyToOrder(before, event);
        return { view, effects, tallies: tallyDelta(before, view) };
      };
      return this.#serial.run(`order:${orderId}`, () => this.#project(this.#orderViews, orderId, rule));
    }
    if ((SKU_EVENT_TYPES as readonly string[]).includes(event.type)) {
      const { sku } = event.data as { sku: string };
      return this.#serial.run(`sku:${sku}`, () => this.#project(this.#skuViews, sku, (before) => ({ view: applyToSku(before, event), effects: [] })));
    }
    return false;
  }

  /**
   * Reads view `id` (from the views this replica wrote last, else from the
   * database), applies `rule` and writes the view back; false if the rule
   * left it as it was (the event was applied before).
   */
  async #project<V extends object>(views: Views<V>, id: string, rule: (before: V | undefined) => { view: V; effects: Effect[]; tallies?: Record<string, number> }): Promise<boolean> {
    try {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const stored = views.recent.get(id) ?? (await views.model.findById(id).lean<Stored<V>>()) ?? undefined;
        const before = plain(stored);
        const { view, effects, tallies } = rule(before);
        if (view === before) {
          if (stored) views.recent.set(id, stored);
          return false;
        }
        const written = await this.#write(views.model, id, stored?.rev, view);
        if (written) {
          views.recent.set(id, written);
          await this.#count(effects, tallies ?? {});
          return true;
        }
        views.recent.delete(id);
      }
      throw new Error(`${views.model.modelName} ${id}: ${MAX_ATTEMPTS} writes lost to others in a row`);
    } catch (err) {
      // Whether a failed write landed is not known: read the view again next time.
      views.recent.delete(id);
      throw err;
    }
  }

  /**
   * Writes `view` as revision rev + 1 over revision `rev` and answers what
   * it stored; undefined if another delivery stored the first revision
   * meanwhile (rev absent: not stored yet).
   */
  async #write<V extends object>(model: Model<Stored<V>>, id: string, rev: number | undefined, view: V): Promise<Stored<V> | undefined> {
    const next = { ...view, _id: id, rev: (rev ?? 0) + 1 } as Stored<V>;
    if (rev === undefined) {
      try {
        await model.collection.insertOne({ ...next } as never);
        return next;
      } catch (err) {
        if (isDuplicateKey(err)) return undefined;
        throw err;
      }
    }
    const result = await model.collection.replaceOne({ _id: id } as never, next as never);
    return result.matchedCount === 1 ? next : undefined;
  }

  /** Adds a write's effects to its minutes' statistics, and its tallies to the running totals. */
  async #count(effects: Effect[], tallies: Record<string, number>): Promise<void> {
    const increments: Array<[Model<never>, string, Record<string, number>]> = [];
    for (const effect of effects) {
      const inc: Record<string, number> = {};
      if (effect.kind === "created") inc.created = 1;
      if (effect.kind === "confirmed") Object.assign(inc, { confirmed: 1, saga_ms_sum: effect.saga_ms, [`saga_${sagaBucket(effect.saga_ms)}`]: 1 });
      if (effect.kind === "failed") inc.failed = 1;
      if (effect.kind === "captured") inc.revenue = effect.amount;
      if (effect.kind === "refunded") inc.revenue = -effect.amount;
      increments.push([this.#minutes as never, minuteOf(effect.at), inc]);
    }
    for (const [key, by] of Object.entries(tallies)) increments.push([this.#tallies as never, key, { n: by }]);
    for (const [model, id, inc] of increments) {
      const upsert = () => model.collection.updateOne({ _id: id } as never, { $inc: inc }, { upsert: true });
      // Two first increments of a document at once: one inserts, the other increments it.
      await upsert().catch((err: unknown) => {
        if (isDuplicateKey(err)) return upsert();
        throw err;
      });
    }
  }

  /** How things stand at `now`: counts, the last hour, the saga's latency, low stock, couriers' load. */
  async summary(now: Date = new Date()): Promise<Summary> {
    const hourAgo = new Date(now.getTime() - 3600_000).toISOString();
    const tallies = new Map((await this.#tallies.find({}).lean()).map((t) => [t._id, t.n ?? 0]));
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
    const sagas = SAGA_BUCKETS_MS.map((_, i) => minutes.reduce((n, m) => n + (((m as Record<string, unknown>)[`saga_${i}`] as number | undefined) ?? 0), 0));
    const skus = await this.#skus.find({ low_stock_threshold: { $exists: true } }).lean();
    const low = skus
      .filter((s) => s.available !== undefined && s.available <= (s.low_stock_threshold ?? 0))
      .map((s) => ({ sku: s.sku, ...(s.item_name ? { item_name: s.item_name } : {}), available: s.available!, low_stock_threshold: s.low_stock_threshold! }))
      .sort((a, b) => a.available - b.available || a.sku.localeCompare(b.sku));
    const load = [...tallies].filter(([key, n]) => key.startsWith("courier:") && n > 0).map(([key, n]) => [key.slice("courier:".length), n] as const);
    return {
      as_of: now.toISOString(),
      orders_by_status: Object.fromEntries(ORDER_STATUSES.map((status) => [status, tallies.get(`status:${status}`) ?? 0])) as Record<OrderStatus, number>,
      last_hour: { created: sum("created"), confirmed: sum("confirmed"), failed: sum("failed"), revenue: Math.round(sum("revenue") * 100) / 100, per_minute: perMinute },
      saga_latency_ms: { p50: bucketPercentile(sagas, 50) ?? null, p95: bucketPercentile(sagas, 95) ?? null, samples: sagas.reduce((n, c) => n + c, 0) },
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
      this.#orders.find(filter, { applied: 0, terms: 0, counted: 0 }).sort({ created_at: direction, _id: direction }).skip(search.offset).limit(search.limit).lean(),
      this.#orders.countDocuments(filter),
    ]);
    return { items: docs.map((doc) => plain(doc as unknown as Stored<OrderView>)!), total };
  }

  /** How the database would run a search (its explain output). */
  async explainSearch(search: OrderSearch): Promise<unknown> {
    return this.#orders.find(ReadModel.filterOf(search)).sort({ created_at: -1 }).limit(search.limit).explain();
  }

  /**
   * Writes order views as they are, in batches (a rebuild, or a benchmark's
   * fill): each as its first revision, none already stored.
   */
  async loadOrders(views: OrderView[], batch = 1000): Promise<void> {
    for (let i = 0; i < views.length; i += batch) {
      const docs = views.slice(i, i + batch).map((view) => ({ ...view, _id: view.id, rev: 1 }));
      for (const doc of docs) this.#orderViews.recent.delete(doc._id);
      await this.#orders.collection.insertMany(docs as never[], { ordered: false });
    }
  }

  /**
   * Drops every view and statistic (before a rebuild), once the applies at
   * work have ended; applies that come meanwhile wait for it.
   */
  async clear(): Promise<void> {
    while (this.#clearing) await this.#clearing;
    this.#clearing = (async () => {
      if (this.#inFlight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
      this.#drained = undefined;
      this.#orderViews.recent.clear();
      this.#skuViews.recent.clear();
      await Promise.all([this.#orders.deleteMany({}), this.#skus.deleteMany({}), this.#minutes.deleteMany({}), this.#tallies.deleteMany({})]);
    })();
    try {
      await this.#clearing;
    } finally {
      this.#clearing = undefined;
    }
  }


  async close(): Promise<void> {
    await this.#connection.close();
  }
}
