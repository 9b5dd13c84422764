/**
 * JSON Schemas (2020-12) of the inventory API's request bodies: the
 * validator uses them, and the gateway's OpenAPI document is built from them.
 */
import type { JsonSchema } from "../../kit/validation.ts";

export const SKU_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$";

export const itemInputSchema: JsonSchema = {
  $id: "StockItemInput",
  type: "object",
  required: ["item_name", "unit_price", "on_hand"],
  additionalProperties: false,
  properties: {
    item_name: { type: "string", minLength: 1, maxLength: 200, pattern: "\\S" },
    unit_price: { type: "number", minimum: 0, maximum: 1000000, multipleOf: 0.01 },
    on_hand: { type: "integer", minimum: 0, maximum: 100000000 },
    low_stock_threshold: { type: "integer", minimum: 0, maximum: 100000000 },
  },
};

export const restockSchema: JsonSchema = {
  $id: "Restock",
  type: "object",
  required: ["quantity"],
  additionalProperties: false,
  properties: { quantity: { type: "integer", minimum: 1, maximum: 100000000 } },
};

export const stockItemSchema: JsonSchema = {
  $id: "StockItem",
  type: "object",
  required: ["sku", "item_name", "unit_price", "currency", "on_hand", "reserved", "available", "low_stock_threshold", "updated_at"],
  properties: {
    sku: { type: "string", pattern: SKU_PATTERN },
    item_name: { type: "string" },
    unit_price: { type: "number" },
    currency: { type: "string" },
    on_hand: { type: "integer", minimum: 0 },
    reserved: { type: "integer", minimum: 0 },
    available: { type: "integer", minimum: 0 },
    low_stock_threshold: { type: "integer", minimum: 0 },
    updated_at: { type: "string", format: "date-time" },
  },
};
