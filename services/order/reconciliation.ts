/**
 * Reconciliation: orders stuck waiting for the saga's answer are announced
 * again. A Dapr cron input binding (order-reconciliation) calls
 * POST /order-reconciliation on a schedule; each call finds the orders still
 * `pending` or `processing` past a bound since their last change and
 * publishes their order.created again. Nobody decides anew: inventory answers
 * a reservation it already decided by saying that decision again, payment a
 * charge it already made by saying its outcome again, and the order applies
 * the answer it missed. An event lost anywhere on the way (a broker that
 * dropped it, a consumer that never got it) is so made good.
 *
 * A `processing` order whose payment never comes is left to the reservation
 * expiry as well; whichever applies first decides, under the order's lock.
 */
import Router from "@koa/router";
import { Counter } from "prom-client";
import type { Registry } from "prom-client";
import { publishAgain } from "../contracts/events.ts";
import type { OrderStatus } from "../contracts/api/orders.ts";
import { requestLog } from "../kit/http/request-context.ts";
import type { EventPublisher } from "../kit/ports/ports.ts";
import { orderCreated } from "./domain.ts";
import type { StoredOrder } from "./domain.ts";
import type { OrderStore } from "./store.ts";

/** The statuses in which an order waits for another service's answer. */
export const WAITING: readonly OrderStatus[] = ["pending", "processing"];

/** How many orders of each waiting status one sweep looks at, oldest change first. */
export const RECONCILE_LIMIT = 1000;

/** The orders that have waited longer than `stuckAfterMs` since their last change. */
export function stuckOrders(orders: StoredOrder[], now: Date, stuckAfterMs: number): StoredOrder[] {
  return orders
    .filter((o) => WAITING.includes(o.status) && now.getTime() - Date.parse(o.updated_at) >= stuckAfterMs)
    .sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at));
}

export interface Reconciliation {
  /** Orders announced again, by id and status. */
  reannounced: Array<{ id: string; status: OrderStatus; waiting_seconds: number }>;
  /** Orders whose announcement failed (the next sweep tries again), and the first error. */
  failed: string[];
  error?: unknown;
}

export interface ReconcilerOptions {
  orders: OrderStore;
  publisher: EventPublisher;
  stuckAfterMs: number;
  registry?: Registry;
}

export class Reconciler {
  readonly #options: ReconcilerOptions;
  readonly #counter: Counter<"status"> | undefined;

  constructor(options: ReconcilerOptions) {
    this.#options = options;
    this.#counter = options.registry
      ? new Counter({
          name: "orders_reannounced_total",
          help: "Orders found waiting past the reconciliation bound and announced again, by the status they waited in",
          labelNames: ["status"] as const,
          registers: [options.registry],
        })
      : undefined;
  }

  /** One sweep: finds the stuck orders and announces each again. */
  async sweep(now: Date): Promise<Reconciliation> {
    const { orders, publisher, stuckAfterMs } = this.#options;
    const ids = (await Promise.all(WAITING.map((status) => orders.idsWithStatus(status, RECONCILE_LIMIT)))).flat();
    const stuck = stuckOrders(await orders.findMany(ids), now, stuckAfterMs);
    const result: Reconciliation = { reannounced: [], failed: [] };
    for (const order of stuck) {
      try {
        await publishAgain(publisher, orderCreated(order));
        this.#counter?.inc({ status: order.status });
        result.reannounced.push({ id: order.id, status: order.status, waiting_seconds: Math.round((now.getTime() - Date.parse(order.updated_at)) / 1000) });
      } catch (err) {
        result.failed.push(order.id);
        result.error ??= err;
      }
    }
    return result;
  }
}

export function reconciliationRoutes(reconciler: Reconciler, now: () => Date): Router {
  const router = new Router();
  router.post("/order-reconciliation", async (ctx) => {
    const result = await reconciler.sweep(now());
    const log = requestLog(ctx);
    if (result.reannounced.length > 0) log.warn({ orders: result.reannounced }, "orders stuck past the bound announced again");
    // The next sweep tries them again.
    if (result.failed.length > 0) log.error({ err: result.error, orders: result.failed }, "stuck orders could not be announced again");
    ctx.body = { reannounced: result.reannounced.length, failed: result.failed.length };
  });
  return router;
}
