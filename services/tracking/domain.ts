/**
 * Shipments: their status machine, courier assignment and tracking.
 * Pure: no I/O, no Dapr, no Koa.
 */


/** Which status may follow which; hub scans repeat in_transit, failed deliveries go out again. */
import type { ScanStatus, ShipmentStatus } from "../contracts/api/shipments.ts";
import { domainEvent } from "../contracts/events.ts";
import type { DomainEvent } from "../contracts/events.ts";
export const SHIPMENT_TRANSITIONS: Readonly<Record<ShipmentStatus, readonly ShipmentStatus[]>> = {
  created: ["picked_up", "cancelled"],
  picked_up: ["in_transit", "out_for_delivery"],
  in_transit: ["in_transit", "out_for_delivery"],
  out_for_delivery: ["delivered", "delivery_failed"],
  delivery_failed: ["out_for_delivery", "in_transit"],
  delivered: [],
  cancelled: [],
};

export interface ShipmentEvent {
  status: ShipmentStatus;
  at: string;
  location?: string;
  note?: string;
}

export interface Position {
  lat: number;
  lon: number;
  description?: string;
  at: string;
}

export interface Shipment {
  id: string;
  order_id: string;
  tracking_number: string;
  status: ShipmentStatus;
  courier: string;
  origin_address: string;
  destination_address: string;
  last_location?: Position;
  events: ShipmentEvent[];
  estimated_delivery: string;
  created_at: string;
  updated_at: string;
}

/** A shipment's number for public tracking: LGX and ten characters. */
export function trackingNumberFrom(uuid: string): string {
  return `LGX${uuid.replace(/-/g, "").slice(0, 10).toUpperCase()}`;
}

/** How long a parcel usually takes, for the estimate given at creation. */
export const DELIVERY_ESTIMATE_DAYS = 2;

export function createShipment(
  order: { order_id: string; origin_address: string; destination_address: string },
  plan: { shipment_id: string; tracking_number: string; courier: string },
  now: Date,
): Shipment {
  const at = now.toISOString();
  return {
    id: plan.shipment_id,
    order_id: order.order_id,
    tracking_number: plan.tracking_number,
    status: "created",
    courier: plan.courier,
    origin_address: order.origin_address,
    destination_address: order.destination_address,
    events: [{ status: "created", at }],
    estimated_delivery: new Date(now.getTime() + DELIVERY_ESTIMATE_DAYS * 86_400_000).toISOString(),
    created_at: at,
    updated_at: at,
  };
}

/** A scan or cancellation the shipment's current status forbids. */
export class IllegalShipmentTransition extends Error {
  readonly from: ShipmentStatus;
  readonly to: ShipmentStatus;
  constructor(from: ShipmentStatus, to: ShipmentStatus) {
    super(`a shipment that is ${from} cannot become ${to}`);
    this.from = from;
    this.to = to;
  }
}

function advance(shipment: Shipment, status: ShipmentStatus, now: Date, details: { location?: string; note?: string } = {}): Shipment {
  if (!SHIPMENT_TRANSITIONS[shipment.status].includes(status)) throw new IllegalShipmentTransition(shipment.status, status);
  const at = now.toISOString();
  const event: ShipmentEvent = { status, at, ...(details.location ? { location: details.location } : {}), ...(details.note ? { note: details.note } : {}) };
  return { ...shipment, status, events: [...shipment.events, event], updated_at: at };
}

/** Applies a courier scan; throws IllegalShipmentTransition when out of order. */
export function scanShipment(shipment: Shipment, scan: { status: ScanStatus; location?: string; note?: string }, now: Date): Shipment {
  return advance(shipment, scan.status, now, scan);
}

/** Cancels a shipment not yet picked up; throws IllegalShipmentTransition after pickup. */
export function cancelShipment(shipment: Shipment, now: Date): Shipment {
  if (shipment.status === "cancelled") return shipment;
  return advance(shipment, "cancelled", now, { note: "order cancelled" });
}

/** Records the courier's position; a delivered or cancelled shipment moves no more. */
export function moveShipment(shipment: Shipment, position: Omit<Position, "at">, now: Date): Shipment & { last_location: Position } {
  if (shipment.status === "delivered" || shipment.status === "cancelled") {
    throw new IllegalShipmentTransition(shipment.status, shipment.status);
  }
  const at = now.toISOString();
  return { ...shipment, last_location: { ...position, at }, updated_at: at };
}

/** shipment.created: the parcel has a number and a courier. */
export function shipmentCreated(shipment: Shipment): DomainEvent<"shipment.created"> {
  const { id: shipment_id, order_id, tracking_number, courier, estimated_delivery } = shipment;
  return domainEvent("shipment.created", { order_id, shipment_id, tracking_number, courier, estimated_delivery });
}

/** shipment.status_changed, with the latest scan's time and place. */
export function shipmentStatusChanged(shipment: Shipment): DomainEvent<"shipment.status_changed"> {
  const last = shipment.events.at(-1)!;
  return domainEvent("shipment.status_changed", {
    order_id: shipment.order_id,
    shipment_id: shipment.id,
    tracking_number: shipment.tracking_number,
    status: shipment.status,
    at: last.at,
    ...(last.location ? { location: last.location } : {}),
  });
}

/** shipment.location_updated, for a shipment that has a position. */
export function shipmentLocationUpdated(shipment: Shipment & { last_location: Position }): DomainEvent<"shipment.location_updated"> {
  return domainEvent("shipment.location_updated", {
    order_id: shipment.order_id,
    shipment_id: shipment.id,
    tracking_number: shipment.tracking_number,
    ...shipment.last_location,
  });
}

/** Whether the shipment still occupies its courier. */
export function isActive(shipment: Pick<Shipment, "status">): boolean {
  return shipment.status !== "delivered" && shipment.status !== "cancelled";
}

/** The courier of the pool with the fewest active shipments (the first of them on a tie). */
export function leastLoadedCourier(pool: readonly string[], active: Readonly<Record<string, readonly string[]>>): string {
  if (pool.length === 0) throw new Error("the courier pool is empty");
  let best = pool[0]!;
  for (const courier of pool) {
    if ((active[courier]?.length ?? 0) < (active[best]?.length ?? 0)) best = courier;
  }
  return best;
}

/** What anyone holding the tracking number may see: no customer data. */
export function publicTracking(shipment: Shipment) {
  return {
    tracking_number: shipment.tracking_number,
    status: shipment.status,
    events: shipment.events,
    ...(shipment.last_location ? { last_location: shipment.last_location } : {}),
    estimated_delivery: shipment.estimated_delivery,
  };
}

/** The scan a simulated courier makes next on a shipment, if any: pickup, hub, delivery round, delivery. */
export function simulatedNextScan(status: ShipmentStatus): ScanStatus | undefined {
  const next: Partial<Record<ShipmentStatus, ScanStatus>> = {
    created: "picked_up",
    picked_up: "in_transit",
    in_transit: "out_for_delivery",
    out_for_delivery: "delivered",
    delivery_failed: "out_for_delivery",
  };
  return next[status];
}
