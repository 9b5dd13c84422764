/**
 * A courier simulator for demos, off by default. When the cron input binding
 * `courier-simulator` is loaded (components/simulator/, see the README),
 * Dapr calls POST /courier-simulator on its schedule and every active
 * shipment moves on by one scan, with a position on the way, through the
 * same code paths as a real courier's scans.
 */
import Router from "@koa/router";
import { requestLog } from "../kit/http/request-context.ts";
import { IllegalShipmentTransition, simulatedNextScan } from "./domain.ts";
import type { Shipments } from "./store.ts";

/** Where simulated couriers are seen: points between Rotterdam and Antwerp. */
const ROUTE = [
  { lat: 51.9225, lon: 4.4792, description: "Rotterdam depot" },
  { lat: 51.5719, lon: 4.7683, description: "Breda hub" },
  { lat: 51.2194, lon: 4.4025, description: "Antwerp" },
];

export function simulatorRoutes(shipments: Shipments): Router {
  const router = new Router();
  router.post("/courier-simulator", async (ctx) => {
    let moved = 0;
    for (const id of await shipments.activeIds()) {
      const shipment = await shipments.find(id);
      const next = shipment && simulatedNextScan(shipment.status);
      if (!next) continue;
      const stop = ROUTE[Math.min(ROUTE.length - 1, shipment.events.length - 1)]!;
      try {
        if (next !== "picked_up") await shipments.move(id, stop);
        await shipments.scan(id, { status: next, location: stop.description, note: "simulated courier" });
        moved += 1;
      } catch (err) {
        // A real courier or a cancellation got there first: skip it this round.
        if (!(err instanceof IllegalShipmentTransition)) throw err;
      }
    }
    if (moved > 0) requestLog(ctx).info({ moved }, "simulated couriers moved shipments");
    ctx.body = { moved };
  });
  return router;
}
