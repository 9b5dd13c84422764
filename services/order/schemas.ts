/**
 * JSON Schemas (2020-12) of the order API's request bodies: the validator
 * uses them, and they describe the API.
 */
import type { JsonSchema } from "../kit/validation.ts";

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
