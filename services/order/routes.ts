/** The order API: create and read orders. */
import Router from "@koa/router";
import type { Context } from "koa";
import { requestLog } from "../kit/app.ts";
import { HttpProblem } from "../kit/errors.ts";
import { validator } from "../kit/validation.ts";
import type { NewOrder } from "./domain.ts";
import { createOrder, publicOrder, replayOutcome } from "./domain.ts";
import { OrderProblems } from "./errors.ts";
import { newOrderSchema } from "./schemas.ts";
import type { OrderStore } from "./store.ts";

export interface OrderRoutesDeps {
  orders: OrderStore;
  now?: () => Date;
}

const validateNewOrder = validator<NewOrder>(newOrderSchema);
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Keys sorted at every level, so equal bodies hash equally. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
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
    const key = ctx.get("idempotency-key");
    if (key !== "" && !IDEMPOTENCY_KEY.test(key)) {
      throw new HttpProblem(OrderProblems.invalidIdempotencyKey, "Idempotency-Key must be 1-255 printable ASCII characters");
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

  router.get("/:id", async (ctx) => {
    const order = await deps.orders.find(ctx.params.id!);
    if (!order) throw new HttpProblem(OrderProblems.orderNotFound, `No order with id ${ctx.params.id}`);
    ctx.body = publicOrder(order);
  });

  return router;
}
