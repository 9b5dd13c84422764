/** The problem types the tracking service answers with, besides the kit's. */
import type { ProblemType } from "../kit/http/problems.ts";

export const TrackingProblems = {
  shipmentNotFound: { type: "shipment-not-found", title: "Shipment not found", status: 404 },
  illegalScan: { type: "illegal-shipment-transition", title: "The shipment's status forbids this", status: 409 },
} as const satisfies Record<string, ProblemType>;
