/**
 * The shipments API (courier scans, positions, lookups), public tracking by
 * number, and the internal call through which order cancels a shipment.
 */
import Router from "@koa/router";
import { HttpProblem, validationProblem } from "../kit/http/problems.ts";
import { validator } from "../kit/validation.ts";
import type { ScanStatus } from "../contracts/api/shipments.ts";
import type { Position } from "./domain.ts";
import { IllegalShipmentTransition, publicTracking } from "./domain.ts";
import { TrackingProblems } from "./errors.ts";
import { positionSchema, scanSchema } from "../contracts/api/shipments.ts";
import type { Shipments } from "./store.ts";

const validateScan = validator<{ status: ScanStatus; location?: string; note?: string }>(scanSchema);
const validatePosition = validator<Omit<Position, "at">>(positionSchema);

function notFound(id: string | undefined): HttpProblem {
  return new HttpProblem(TrackingProblems.shipmentNotFound, `No shipment with id ${id}`);
}

async function orIllegal<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof IllegalShipmentTransition) throw new HttpProblem(TrackingProblems.illegalScan, err.message);
    throw err;
  }
}

export function trackingRoutes(shipments: Shipments): Router {
  const router = new Router();

  router.get("/api/v1/shipments", async (ctx) => {
    const orderId = ctx.query.order_id;
    if (typeof orderId !== "string" || orderId === "") {
      throw validationProblem([{ field: "order_id", message: "is required (one order id)" }]);
    }
    ctx.body = await shipments.forOrder(orderId);
  });

  router.get("/api/v1/shipments/:id", async (ctx) => {
    const shipment = await shipments.find(ctx.params.id!);
    if (!shipment) throw notFound(ctx.params.id);
    ctx.body = shipment;
  });

  router.post("/api/v1/shipments/:id/events", async (ctx) => {
    const scan = validateScan((ctx.request as { body?: unknown }).body);
    const shipment = await orIllegal(() => shipments.scan(ctx.params.id!, scan));
    if (!shipment) throw notFound(ctx.params.id);
    ctx.body = shipment;
  });

  router.post("/api/v1/shipments/:id/locations", async (ctx) => {
    const position = validatePosition((ctx.request as { body?: unknown }).body);
    const shipment = await orIllegal(() => shipments.move(ctx.params.id!, position));
    if (!shipment) throw notFound(ctx.params.id);
    ctx.body = shipment;
  });

  router.get("/api/v1/track/:tracking_number", async (ctx) => {
    const shipment = await shipments.byTrackingNumber(ctx.params.tracking_number!);
    if (!shipment) throw new HttpProblem(TrackingProblems.shipmentNotFound, `No shipment with tracking number ${ctx.params.tracking_number}`);
    ctx.body = publicTracking(shipment);
  });

  // Not under /api/v1: the gateway does not forward it; only the order service calls it.
  router.post("/internal/orders/:orderId/shipment/cancel", async (ctx) => {
    const result = await orIllegal(() => shipments.cancelFor(ctx.params.orderId!));
    ctx.body = { order_id: ctx.params.orderId, result };
  });

  return router;
}
