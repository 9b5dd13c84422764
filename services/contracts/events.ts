/**
 * The events the services exchange (design §4): their data, as types for
 * the producers and as JSON Schemas the consumers check deliveries against.
 * A consumer reads only what it needs and ignores extra fields, so producers
 * may add fields without breaking anyone; data that breaks a schema is
 * poison and goes to the dead-letter topic.
 */
import type { JsonSchema } from "../kit/validation.ts";

/** The topic each service publishes its events to (through its outbox). */
export const Topics = {
  orders: "orders",
  inventory: "inventory",
  payments: "payments",
  shipments: "shipments",
  notifications: "notifications",
} as const;

const id: JsonSchema = { type: "string", minLength: 1 };
const text: JsonSchema = { type: "string" };
const amount: JsonSchema = { type: "number", minimum: 0 };

export interface PaymentInstructionData {
  method: "card";
  card_token?: string;
}

export interface OrderLineData {
  sku: string;
  item_name: string;
  quantity: number;
}

export interface OrderCreatedData {
  order_id: string;
  customer_name: string;
  customer_email: string;
  origin_address: string;
  destination_address: string;
  package_weight: number;
  package_dimensions?: string;
  items: OrderLineData[];
  payment: PaymentInstructionData;
  created_at: string;
}

export const orderCreatedSchema: JsonSchema = {
  type: "object",
  required: ["order_id", "customer_email", "items"],
  properties: {
    order_id: id,
    customer_name: { type: "string" },
    customer_email: { type: "string", minLength: 3 },
    items: {
      type: "array",
      minItems: 1,
      items: { type: "object", required: ["sku", "quantity"], properties: { sku: id, quantity: { type: "integer", minimum: 1 } } },
    },
    payment: { type: "object" },
  },
};

/** What consumers learn of the order with each status change. */
export interface OrderSnapshot {
  id: string;
  status: string;
  customer_name: string;
  customer_email: string;
  origin_address: string;
  destination_address: string;
  package_weight: number;
  items: Array<OrderLineData & { unit_price?: number }>;
  total_amount?: number;
  currency?: string;
  tracking_number?: string;
  status_reason?: string;
}

export interface OrderStatusChangedData {
  order_id: string;
  status: string;
  previous_status: string;
  reason?: string;
  order: OrderSnapshot;
}

export const orderStatusChangedSchema: JsonSchema = {
  type: "object",
  required: ["order_id", "status", "previous_status", "order"],
  properties: {
    order_id: id,
    status: id,
    previous_status: id,
    reason: { type: "string" },
    order: {
      type: "object",
      required: ["id", "customer_name", "customer_email", "origin_address", "destination_address"],
      properties: { id, customer_name: text, customer_email: text, origin_address: text, destination_address: text },
    },
  },
};

export interface OrderCancelledData {
  order_id: string;
  previous_status: string;
}

export interface InventoryReservedData {
  order_id: string;
  lines: Array<{ sku: string; item_name: string; quantity: number; unit_price: number }>;
  total_amount: number;
  currency: string;
  expires_at: string;
  payment?: PaymentInstructionData;
}

export const inventoryReservedSchema: JsonSchema = {
  type: "object",
  required: ["order_id", "lines", "total_amount", "currency", "expires_at"],
  properties: {
    order_id: id,
    lines: {
      type: "array",
      items: { type: "object", required: ["sku", "quantity", "unit_price"], properties: { sku: id, quantity: { type: "integer" }, unit_price: amount } },
    },
    total_amount: amount,
    currency: id,
    expires_at: { type: "string", format: "date-time" },
    payment: { type: "object" },
  },
};

export interface InventoryRejectedData {
  order_id: string;
  reason: "out_of_stock" | "unknown_sku";
  skus: string[];
}

export const inventoryRejectedSchema: JsonSchema = {
  type: "object",
  required: ["order_id", "reason"],
  properties: { order_id: id, reason: { enum: ["out_of_stock", "unknown_sku"] } },
};

export interface PaymentOutcomeData {
  order_id: string;
  payment_id: string;
  amount: number;
  currency: string;
  decline_reason?: string;
}

export const paymentOutcomeSchema: JsonSchema = {
  type: "object",
  required: ["order_id", "payment_id", "amount", "currency"],
  properties: { order_id: id, payment_id: id, amount, currency: id, decline_reason: { type: "string" } },
};

export interface ShipmentCreatedData {
  order_id: string;
  shipment_id: string;
  tracking_number: string;
  courier: string;
  estimated_delivery: string;
}

export const shipmentCreatedSchema: JsonSchema = {
  type: "object",
  required: ["order_id", "shipment_id", "tracking_number"],
  properties: { order_id: id, shipment_id: id, tracking_number: id, courier: { type: "string" } },
};

export interface ShipmentStatusChangedData {
  order_id: string;
  shipment_id: string;
  tracking_number: string;
  status: string;
  at: string;
  location?: string;
}

export const shipmentStatusChangedSchema: JsonSchema = {
  type: "object",
  required: ["order_id", "shipment_id", "status"],
  properties: { order_id: id, shipment_id: id, status: id },
};
