/**
 * JSON Schema (2020-12) of a notification as the API answers it (the log
 * entry without its CloudEvent id). The gateway's OpenAPI document is built
 * from it, and a unit test holds what the domain produces to it.
 */
import type { JsonSchema } from "../../kit/validation.ts";

export const TEMPLATES = ["order_received", "order_confirmed", "order_shipped", "order_delivered", "order_cancelled", "order_failed"] as const;
export type Template = (typeof TEMPLATES)[number];


export const notificationSchema: JsonSchema = {
  $id: "Notification",
  type: "object",
  required: ["id", "order_id", "channel", "recipient", "template", "subject", "status", "sent_at"],
  additionalProperties: false,
  properties: {
    id: { type: "string" },
    order_id: { type: "string" },
    channel: { const: "email" },
    recipient: { type: "string" },
    template: { enum: [...TEMPLATES] },
    subject: { type: "string" },
    status: { const: "sent" },
    sent_at: { type: "string", format: "date-time" },
  },
};
