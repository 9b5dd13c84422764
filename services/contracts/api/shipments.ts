/**
 * JSON Schemas (2020-12) of the tracking API's request bodies, which the
 * validator uses, and of what it answers, which a unit test holds the domain
 * to. The gateway's OpenAPI document is built from them.
 */
import type { JsonSchema } from "../../kit/validation.ts";

export const SHIPMENT_STATUSES = [
  "created",
  "picked_up",
  "in_transit",
  "out_for_delivery",
  "delivered",
  "delivery_failed",
  "cancelled",
] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/** What a courier can scan. */
export const SCAN_STATUSES = ["picked_up", "in_transit", "out_for_delivery", "delivered", "delivery_failed"] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];


export const scanSchema: JsonSchema = {
  $id: "ShipmentScan",
  type: "object",
  required: ["status"],
  additionalProperties: false,
  properties: {
    status: { enum: [...SCAN_STATUSES] },
    location: { type: "string", minLength: 1, maxLength: 200 },
    note: { type: "string", minLength: 1, maxLength: 500 },
  },
};

export const positionSchema: JsonSchema = {
  $id: "ShipmentPosition",
  type: "object",
  required: ["lat", "lon"],
  additionalProperties: false,
  properties: {
    lat: { type: "number", minimum: -90, maximum: 90 },
    lon: { type: "number", minimum: -180, maximum: 180 },
    description: { type: "string", minLength: 1, maxLength: 200 },
  },
};

const timestamp = { type: "string", format: "date-time" };
const status = { enum: [...SHIPMENT_STATUSES] };

const shipmentEvent = {
  type: "object",
  required: ["status", "at"],
  additionalProperties: false,
  properties: { status, at: timestamp, location: { type: "string" }, note: { type: "string" } },
};

const lastLocation = {
  type: "object",
  required: ["lat", "lon", "at"],
  additionalProperties: false,
  properties: { lat: { type: "number" }, lon: { type: "number" }, description: { type: "string" }, at: timestamp },
};

export const shipmentSchema: JsonSchema = {
  $id: "Shipment",
  type: "object",
  required: ["id", "order_id", "tracking_number", "status", "courier", "origin_address", "destination_address", "events", "estimated_delivery", "created_at", "updated_at"],
  additionalProperties: false,
  properties: {
    id: { type: "string" },
    order_id: { type: "string" },
    tracking_number: { type: "string" },
    status,
    courier: { type: "string" },
    origin_address: { type: "string" },
    destination_address: { type: "string" },
    last_location: lastLocation,
    events: { type: "array", items: shipmentEvent },
    estimated_delivery: timestamp,
    created_at: timestamp,
    updated_at: timestamp,
  },
};

/** What public tracking shows: no customer data. */
export const trackingSchema: JsonSchema = {
  $id: "Tracking",
  type: "object",
  required: ["tracking_number", "status", "events", "estimated_delivery"],
  additionalProperties: false,
  properties: {
    tracking_number: { type: "string" },
    status,
    events: { type: "array", items: shipmentEvent },
    last_location: lastLocation,
    estimated_delivery: timestamp,
  },
};
