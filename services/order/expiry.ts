/**
 * Reservation expiry. A Dapr cron input binding (reservation-expiry) calls
 * POST /reservation-expiry on a schedule; each call fails the processing
 * orders whose reservation ran out before their payment came. The order
 * decides, under its lock, so a payment captured at the same moment either
 * confirms the order first (and the expiry passes it by) or arrives after it
 * failed (and payment refunds it).
 */
import Router from "@koa/router";
import { requestLog } from "../kit/http/request-context.ts";
import { expireReservation } from "./domain.ts";
import type { OrderStore } from "./store.ts";

/** How many processing orders one sweep looks at. */
export const SWEEP_LIMIT = 5000;

export async function expireReservations(orders: OrderStore, now: Date): Promise<string[]> {
  const ids = await orders.idsWithStatus("processing", SWEEP_LIMIT);
  const due = (await orders.findMany(ids)).filter(
    (o) => o.status === "processing" && o.reservation_expires_at !== undefined && Date.parse(o.reservation_expires_at) <= now.getTime(),
  );
  const expired: string[] = [];
  for (const order of due) {
    const result = await orders.change(order.id, (current) => expireReservation(current, now));
    if (result?.decision.kind === "change") expired.push(order.id);
  }
  return expired;
}

export function expiryRoutes(orders: OrderStore, now: () => Date): Router {
  const router = new Router();
  router.post("/reservation-expiry", async (ctx) => {
    const expired = await expireReservations(orders, now());
    if (expired.length > 0) requestLog(ctx).info({ expired }, "reservations expired");
    ctx.body = { expired: expired.length };
  });
  return router;
}
