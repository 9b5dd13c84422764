/**
 * JSON Schemas (2020-12) of the tracking API's request bodies: the validator
 * uses them, and the gateway's OpenAPI document is built from them.
 */
import type { JsonSchema } from "../kit/validation.ts";
import { SCAN_STATUSES } from "./domain.ts";

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
