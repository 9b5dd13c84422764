/**
 * JSON Schema (2020-12) of a payment as the API answers it (publicCharge).
 * The gateway's OpenAPI document is built from it, and a unit test holds
 * what the domain produces to it.
 */
import type { JsonSchema } from "../../kit/validation.ts";

export const CHARGE_STATUSES = ["captured", "declined", "refunded", "requires_action", "voided"] as const;
export type ChargeStatus = (typeof CHARGE_STATUSES)[number];


const timestamp = { type: "string", format: "date-time" };

export const paymentSchema: JsonSchema = {
  $id: "Payment",
  type: "object",
  required: ["id", "order_id", "amount", "currency", "status", "created_at", "updated_at"],
  additionalProperties: false,
  properties: {
    id: { type: "string" },
    order_id: { type: "string" },
    amount: { type: "number", minimum: 0 },
    currency: { type: "string" },
    status: { enum: [...CHARGE_STATUSES] },
    decline_reason: { type: "string" },
    created_at: timestamp,
    updated_at: timestamp,
  },
};
