/** The order API: create, read, list, change the status of and cancel orders. */
import Router from "@koa/router";
import type { Context } from "koa";
import { requestLog } from "../kit/http/request-context.ts";
import { HttpProblem } from "../kit/http/problems.ts";
import { readPaging } from "../kit/http/paging.ts";
import { validator } from "../kit/validation.ts";
import type { OrderStatus } from "../contracts/api/orders.ts";
import { ORDER_STATUSES } from "../contracts/api/orders.ts";
import type { Decision, NewOrder, StoredOrder } from "./domain.ts";
import { cancelOrder, createOrder, IllegalTransitionError, operatorTransition, publicOrder, replayOutcome } from "./domain.ts";
import { OrderProblems } from "./errors.ts";
import { IDEMPOTENCY_KEY_PATTERN, newOrderSchema, statusUpdateSchema } from "../contracts/api/orders.ts";
import type { ShipmentCanceller } from "./shipments.ts";
import type { OrderStore } from "./store.ts";
import { sha256Hex } from "../kit/digest.ts";

export interface OrderRoutesDeps {
  orders: OrderStore;
  shipments: ShipmentCanceller;
  now?: () => Date;
}

const validateNewOrder = validator<NewOrder>(newOrderSchema);
const validateStatusUpdate = validator<{ status: OrderStatus }>(statusUpdateSchema);

/** Thrown under the order's lock when the parcel left before the cancellation. */
class PickedUpError extends Error {}
const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

/** Keys sorted at every level, so equal bodies hash equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function created(ctx: Context, status: 200 | 201, body: unknown, id: string): void {
  ctx.status = status;
  ctx.set("Location", `/api/v1/orders/${id}`);
  ctx.body = body;
}

export function orderRoutes(deps: OrderRoutesDeps): Router {
  const router = new Router({ prefix: "/api/v1/orders" });
  const now = deps.now ?? (() => new Date());

  router.post("/", async (ctx) => {
    const input = validateNewOrder((ctx.request as { body?: unknown }).body);
    // A header sent empty is a key that breaks the rules, not a missing one.
    const given = ctx.headers["idempotency-key"];
    const key = typeof given === "string" ? given : "";
    if (given !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new HttpProblem(OrderProblems.invalidIdempotencyKey, "Idempotency-Key must be 1-255 visible ASCII characters (no spaces)");
    }
    const at = now().toISOString();
    let id: string = crypto.randomUUID();
    let idempotency: { key: string; request_hash: string } | undefined;

    if (key) {
      const requestHash = await sha256Hex(canonicalJson(input));
      const { claimed, record } = await deps.orders.claimIdempotencyKey(key, { order_id: id, request_hash: requestHash, created_at: at });
      if (!claimed) {
        if (record.request_hash !== requestHash) {
          throw new HttpProblem(OrderProblems.idempotencyKeyReused, "This Idempotency-Key was used with a different request body");
        }
        const existing = await deps.orders.find(record.order_id);
        if (existing && replayOutcome(existing, requestHash) === "replay") {
          return created(ctx, 200, publicOrder(existing), existing.id);
        }
        // The first request claimed the key but its order was not written
        // (it failed or is still at work): create that order now, once.
        id = record.order_id;
      }
      idempotency = { key, request_hash: requestHash };
    }

    const { order, event } = createOrder(input, id, at, idempotency);
    await deps.orders.create(order, event);
    requestLog(ctx).info({ order_id: id }, "order created");
    created(ctx, 201, publicOrder(order), id);
  });

  router.get("/", async (ctx) => {
    let status: OrderStatus | undefined;
    const paging = readPaging(ctx.query, (errors) => {
      const given = ctx.query.status;
      if (given === undefined) return;
      if (typeof given === "string" && (ORDER_STATUSES as readonly string[]).includes(given)) status = given as OrderStatus;
      else errors.push({ field: "status", message: `must be one of ${ORDER_STATUSES.join(", ")}` });
    });
    const { orders, total } = await deps.orders.list(status, paging.offset, paging.page_size);
    ctx.body = { items: orders.map(publicOrder), page: paging.page, page_size: paging.page_size, total };
  });

  router.get("/:id", async (ctx) => {
    ctx.body = publicOrder(await found(ctx.params.id!));
  });

  router.get("/:id/items", async (ctx) => {
    ctx.body = (await found(ctx.params.id!)).items;
  });

  router.put("/:id/status", async (ctx) => {
    const { status } = validateStatusUpdate((ctx.request as { body?: unknown }).body);
    ctx.body = publicOrder(await changeStatus(ctx, ctx.params.id!, (order) => operatorTransition(order, status, now())));
  });

  router.delete("/:id", async (ctx) => {
    ctx.body = publicOrder(await changeStatus(ctx, ctx.params.id!, (order) => cancelOrder(order, now())));
  });

  async function found(id: string): Promise<StoredOrder> {
    const order = await deps.orders.find(id);
    if (!order) throw new HttpProblem(OrderProblems.orderNotFound, `No order with id ${id}`);
    return order;
  }

  /**
   * Applies a status change asked for by a client. A cancellation first calls
   * off the shipment, under the order's lock: if the parcel was picked up,
   * nothing changes and the answer is 409.
   */
  async function changeStatus(ctx: Context, id: string, decide: (order: StoredOrder) => Decision): Promise<StoredOrder> {
    let result;
    try {
      result = await deps.orders.change(id, decide, async (order, decision) => {
        if (decision.kind === "change" && decision.order.status === "cancelled") {
          if ((await deps.shipments.cancel(order.id)) === "too-late") throw new PickedUpError();
        }
      });
    } catch (err) {
      if (err instanceof IllegalTransitionError) throw new HttpProblem(OrderProblems.illegalTransition, err.message);
      if (err instanceof PickedUpError) {
        throw new HttpProblem(OrderProblems.alreadyPickedUp, `Order ${id} cannot be cancelled: its parcel has been picked up`);
      }
      throw err;
    }
    if (!result) throw new HttpProblem(OrderProblems.orderNotFound, `No order with id ${id}`);
    requestLog(ctx).info({ order_id: id, status: result.order.status, decision: result.decision.kind }, "order status request");
    return result.order;
  }

  return router;
}
