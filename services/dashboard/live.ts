/**
 * The live page's feed: every event the projection applies goes out at once
 * to each open stream, and the summary again at most once a second while
 * events apply (one summary query serves every viewer). A viewer that
 * connects gets the latest events and the summary first.
 */
import type { Logger } from "../kit/logger.ts";
import { orderIdOf } from "./projection.ts";
import type { ProjectedEvent } from "./projection.ts";

/** An event as the page lists it. */
export interface LiveEvent {
  id: string;
  type: string;
  /** When it happened (the CloudEvent's time). */
  at: string;
  order_id?: string;
  /** The order's status, for an order's status change. */
  status?: string;
  sku?: string;
}

/** One open stream: what the feed sends to it, and how to end it (the app shuts down). */
export interface Viewer {
  send(event: "summary" | "event" | "events", data: unknown): void;
  end(): void;
}

export interface LiveFeedOptions {
  /** Summary pushes are at least this far apart. */
  summaryIntervalMs?: number;
  /** How many of the latest events a new viewer gets. */
  keep?: number;
}

export function liveEventOf(event: ProjectedEvent): LiveEvent {
  const data = (event.data ?? {}) as { status?: unknown; sku?: unknown };
  // When it happened, to the millisecond where the data says (a CloudEvent's time has whole seconds).
  const precise = event.type === "order.status_changed" || event.type === "order.updated" ? event.data.order.updated_at : event.type === "inventory.stock_changed" ? event.data.updated_at : undefined;
  const live: LiveEvent = { id: event.id, type: event.type, at: precise ?? event.time };
  const orderId = orderIdOf(event);
  if (orderId) live.order_id = orderId;
  if (event.type === "order.status_changed" && typeof data.status === "string") live.status = data.status;
  if (typeof data.sku === "string") live.sku = data.sku;
  return live;
}

export class LiveFeed {
  readonly #viewers = new Set<Viewer>();
  readonly #recent: LiveEvent[] = [];
  readonly #summary: () => Promise<unknown>;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #keep: number;
  /** Something applied since the last summary went out. */
  #changed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastPush = 0;

  constructor(summary: () => Promise<unknown>, logger: Logger, options: LiveFeedOptions = {}) {
    this.#summary = summary;
    this.#logger = logger;
    this.#intervalMs = options.summaryIntervalMs ?? 1000;
    this.#keep = options.keep ?? 50;
  }

  get viewers(): number {
    return this.#viewers.size;
  }

  /** The projection applied `event` (it changed a view). */
  applied(event: ProjectedEvent): void {
    const live = liveEventOf(event);
    this.#recent.push(live);
    if (this.#recent.length > this.#keep) this.#recent.shift();
    if (this.#viewers.size === 0) return;
    this.#broadcast("event", live);
    this.#changed = true;
    this.#schedule();
  }

  /** Adds a viewer: it gets the latest events and the summary, then everything new. Returns how to remove it. */
  async watch(viewer: Viewer): Promise<() => void> {
    this.#viewers.add(viewer);
    viewer.send("events", [...this.#recent]);
    try {
      viewer.send("summary", await this.#summary());
    } catch (err) {
      this.#logger.warn({ err }, "no summary for a new viewer");
    }
    return () => {
      this.#viewers.delete(viewer);
      if (this.#viewers.size === 0 && this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  #broadcast(event: "summary" | "event", data: unknown): void {
    for (const viewer of this.#viewers) {
      try {
        viewer.send(event, data);
      } catch (err) {
        this.#logger.warn({ err }, "a viewer's stream failed; dropping it");
        this.#viewers.delete(viewer);
      }
    }
  }

  #schedule(): void {
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastPush + this.#intervalMs - Date.now());
    this.#timer = setTimeout(() => void this.#push(), wait);
  }

  async #push(): Promise<void> {
    this.#timer = undefined;
    if (!this.#changed || this.#viewers.size === 0) return;
    this.#changed = false;
    this.#lastPush = Date.now();
    try {
      this.#broadcast("summary", await this.#summary());
    } catch (err) {
      // The database away: the next change tries again.
      this.#logger.warn({ err }, "no summary for the live page");
      this.#changed = true;
    }
    if (this.#changed) this.#schedule();
  }

  /** Ends every stream. */
  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const viewer of this.#viewers) viewer.end();
    this.#viewers.clear();
  }
}
