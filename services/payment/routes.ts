/** The payments API: the charges of an order. */
import Router from "@koa/router";
import { validationProblem } from "../kit/http/problems.ts";
import { publicCharge } from "./domain.ts";
import type { Payments } from "./store.ts";

export function paymentRoutes(payments: Payments): Router {
  const router = new Router({ prefix: "/api/v1/payments" });
  router.get("/", async (ctx) => {
    const orderId = ctx.query.order_id;
    if (typeof orderId !== "string" || orderId === "") {
      throw validationProblem([{ field: "order_id", message: "is required (one order id)" }]);
    }
    const charge = await payments.forOrder(orderId);
    ctx.body = charge && !charge.tombstone ? [publicCharge(charge)] : [];
  });
  return router;
}
