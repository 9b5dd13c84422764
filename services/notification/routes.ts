/** The notification log API. */
import Router from "@koa/router";
import { validationProblem } from "../kit/http/problems.ts";
import { publicNotification } from "./domain.ts";
import type { NotificationLog } from "./store.ts";

export function notificationRoutes(log: NotificationLog): Router {
  const router = new Router({ prefix: "/api/v1/notifications" });
  router.get("/", async (ctx) => {
    const orderId = ctx.query.order_id;
    if (typeof orderId !== "string" || orderId === "") {
      throw validationProblem([{ field: "order_id", message: "is required (one order id)" }]);
    }
    const entries = await log.forOrder(orderId);
    ctx.body = entries.map(publicNotification);
  });
  return router;
}
