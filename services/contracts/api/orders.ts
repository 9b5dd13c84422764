/**
 * JSON Schemas (2020-12) of the order API's request bodies: the validator
 * uses them, and they describe the API.
 */
import type { JsonSchema } from "../../kit/validation.ts";

/** An Idempotency-Key: 1-255 printable ASCII characters, no spaces. */
export const IDEMPOTENCY_KEY_PATTERN = "^[!-~]{1,255}$";

export const ORDER_STATUSES = ["pending", "processing", "confirmed", "shipped", "delivered", "cancelled", "failed"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const FAILURE_REASONS = ["out_of_stock", "unknown_sku", "payment_declined", "reservation_expired"] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];


const text = (maxLength: number): JsonSchema => ({ type: "string", minLength: 1, maxLength, pattern: "\\S" });

export const orderItemSchema: JsonSchema = {
  type: "object",
  required: ["sku", "item_name", "quantity"],
  properties: {
    sku: { type: "string", minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9][A-Za-z0-9._-]*$" },
    item_name: text(200),
    quantity: { type: "integer", minimum: 1, maximum: 1000 },
  },
};

export const newOrderSchema: JsonSchema = {
  $id: "NewOrder",
  type: "object",
  required: ["customer_name", "customer_email", "origin_address", "destination_address", "package_weight", "items"],
  properties: {
    customer_name: text(200),
    customer_email: { type: "string", format: "email", maxLength: 254 },
    origin_address: text(500),
    destination_address: text(500),
    package_weight: { type: "number", exclusiveMinimum: 0, maximum: 100000 },
    package_dimensions: {
      type: "string",
      pattern: "^\\d+(\\.\\d+)?x\\d+(\\.\\d+)?x\\d+(\\.\\d+)?$",
      description: "LxWxH in cm, such as 30x20x10",
    },
    items: { type: "array", minItems: 1, maxItems: 100, items: orderItemSchema },
    payment: {
      type: "object",
      required: ["method"],
      properties: {
        method: { const: "card" },
        card_token: { type: "string", minLength: 1, maxLength: 200 },
      },
    },
  },
};

export const statusUpdateSchema: JsonSchema = {
  $id: "OrderStatusUpdate",
  type: "object",
  required: ["status"],
  additionalProperties: false,
  properties: { status: { enum: [...ORDER_STATUSES] } },
};

export const orderSchema: JsonSchema = {
  $id: "Order",
  type: "object",
  required: ["id", "status", "customer_name", "customer_email", "origin_address", "destination_address", "package_weight", "items", "history", "created_at", "updated_at"],
  properties: {
    id: { type: "string" },
    status: { enum: [...ORDER_STATUSES] },
    status_reason: { enum: [...FAILURE_REASONS] },
    customer_name: { type: "string" },
    customer_email: { type: "string", format: "email" },
    origin_address: { type: "string" },
    destination_address: { type: "string" },
    package_weight: { type: "number" },
    package_dimensions: { type: "string" },
    items: {
      type: "array",
      items: {
        type: "object",
        required: ["sku", "item_name", "quantity"],
        properties: { sku: { type: "string" }, item_name: { type: "string" }, quantity: { type: "integer" }, unit_price: { type: "number" } },
      },
    },
    total_amount: { type: "number" },
    currency: { type: "string" },
    payment_id: { type: "string" },
    shipment_id: { type: "string" },
    tracking_number: { type: "string" },
    history: {
      type: "array",
      items: { type: "object", required: ["status", "at"], properties: { status: { enum: [...ORDER_STATUSES] }, at: { type: "string" }, reason: { type: "string" } } },
    },
    created_at: { type: "string", format: "date-time" },
    updated_at: { type: "string", format: "date-time" },
  },
};
