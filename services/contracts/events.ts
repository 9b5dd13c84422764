/**
 * The event catalog: every event the services exchange, once. For each
 * CloudEvent type it gives the topic it is published to and the JSON Schema
 * of its data, checked against the data's TypeScript type at compile time
 * (ajv's JSONSchemaType), so types and schemas cannot drift apart. The types
 * are the source; `EventMap` and `DomainEvent` are derived from the catalog.
 *
 * A subscriber's handler is only called with data its schema accepts; data
 * that breaks it is poison and goes to the dead-letter topic. Extra fields are
 * allowed, so a producer may add fields without breaking anyone.
 * docs/architecture.md#events says who publishes and who consumes each event.
 */
import type { JSONSchemaType } from "ajv";
import type { EventPublisher } from "../kit/ports/ports.ts";
import { FAILURE_REASONS, ORDER_STATUSES } from "./api/orders.ts";
import type { OrderStatus } from "./api/orders.ts";
import { SHIPMENT_STATUSES } from "./api/shipments.ts";
import type { ShipmentStatus } from "./api/shipments.ts";

/** The topic each service publishes its events to (through its outbox). */
export const Topics = {
  orders: "orders",
  inventory: "inventory",
  payments: "payments",
  shipments: "shipments",
  notifications: "notifications",
} as const;
export type Topic = (typeof Topics)[keyof typeof Topics];

// ---- data types ----

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

/** What consumers learn of the order with each change: the public order without its history. */
export interface OrderSnapshot {
  id: string;
  status: OrderStatus;
  status_reason?: string;
  customer_name: string;
  customer_email: string;
  origin_address: string;
  destination_address: string;
  package_weight: number;
  package_dimensions?: string;
  items: Array<OrderLineData & { unit_price?: number }>;
  total_amount?: number;
  currency?: string;
  payment_id?: string;
  shipment_id?: string;
  tracking_number?: string;
  created_at: string;
  updated_at: string;
}

export interface OrderStatusChangedData {
  order_id: string;
  status: OrderStatus;
  previous_status: OrderStatus;
  reason?: string;
  order: OrderSnapshot;
}

export interface OrderCancelledData {
  order_id: string;
  previous_status: OrderStatus;
}

export interface OrderUpdatedData {
  order_id: string;
  order: OrderSnapshot;
}

export interface ReservedLineData {
  sku: string;
  item_name: string;
  quantity: number;
  unit_price: number;
}

export interface InventoryReservedData {
  order_id: string;
  lines: ReservedLineData[];
  total_amount: number;
  currency: string;
  expires_at: string;
  /** Passed through from order.created, so that payment needs no second event. */
  payment?: PaymentInstructionData;
}

export const REJECTION_REASONS = ["out_of_stock", "unknown_sku"] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export interface InventoryRejectedData {
  order_id: string;
  reason: RejectionReason;
  /** The SKUs that made the rejection. */
  skus: string[];
}

export const RELEASE_REASONS = ["cancelled", "payment_declined", "reservation_expired", "failed"] as const;
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

export interface InventoryReleasedData {
  order_id: string;
  reason: ReleaseReason;
  lines: ReservedLineData[];
}

export interface InventoryCommittedData {
  order_id: string;
  lines: ReservedLineData[];
}

export interface StockChangedData {
  sku: string;
  on_hand: number;
  reserved: number;
  available: number;
  /**
   * When the level changed (the item's updated_at, to the millisecond), so
   * that readers order two reports of one SKU: a CloudEvent's own time has
   * whole seconds. Absent from events published before it was added.
   */
  updated_at?: string;
}

export interface LowStockData {
  sku: string;
  item_name: string;
  available: number;
  low_stock_threshold: number;
}

export interface PaymentOutcomeData {
  order_id: string;
  payment_id: string;
  amount: number;
  currency: string;
  decline_reason?: string;
}

export interface ShipmentCreatedData {
  order_id: string;
  shipment_id: string;
  tracking_number: string;
  courier: string;
  estimated_delivery: string;
}

export interface ShipmentStatusChangedData {
  order_id: string;
  shipment_id: string;
  tracking_number: string;
  status: ShipmentStatus;
  at: string;
  location?: string;
}

export interface ShipmentLocationUpdatedData {
  order_id: string;
  shipment_id: string;
  tracking_number: string;
  lat: number;
  lon: number;
  description?: string;
  at: string;
}

export interface NotificationSentData {
  id: string;
  order_id: string;
  channel: "email";
  recipient: string;
  template: string;
  subject: string;
  status: "sent";
  sent_at: string;
}

// ---- schemas, held to the types by JSONSchemaType ----

const id = { type: "string", minLength: 1 } as const;
const text = { type: "string" } as const;
const optionalText = { type: "string", nullable: true } as const;
const amount = { type: "number", minimum: 0 } as const;
const quantity = { type: "integer", minimum: 1 } as const;
const timestamp = { type: "string", format: "date-time" } as const;

const paymentInstructionSchema: JSONSchemaType<PaymentInstructionData> = {
  type: "object",
  required: ["method"],
  properties: { method: { type: "string", const: "card" }, card_token: optionalText },
};

const orderLineSchema: JSONSchemaType<OrderLineData> = {
  type: "object",
  required: ["sku", "item_name", "quantity"],
  properties: { sku: id, item_name: text, quantity },
};

const reservedLineSchema: JSONSchemaType<ReservedLineData> = {
  type: "object",
  required: ["sku", "item_name", "quantity", "unit_price"],
  properties: { sku: id, item_name: text, quantity, unit_price: amount },
};

const orderStatusSchema = { type: "string", enum: ORDER_STATUSES } as const;

const orderSnapshotSchema: JSONSchemaType<OrderSnapshot> = {
  type: "object",
  required: ["id", "status", "customer_name", "customer_email", "origin_address", "destination_address", "package_weight", "items", "created_at", "updated_at"],
  properties: {
    id,
    status: orderStatusSchema,
    status_reason: { type: "string", enum: FAILURE_REASONS, nullable: true },
    customer_name: text,
    customer_email: text,
    origin_address: text,
    destination_address: text,
    package_weight: { type: "number" },
    package_dimensions: optionalText,
    items: {
      type: "array",
      items: {
        type: "object",
        required: ["sku", "item_name", "quantity"],
        properties: { sku: id, item_name: text, quantity, unit_price: { ...amount, nullable: true } },
      },
    },
    total_amount: { ...amount, nullable: true },
    currency: optionalText,
    payment_id: optionalText,
    shipment_id: optionalText,
    tracking_number: optionalText,
    created_at: text,
    updated_at: text,
  },
};

const paymentOutcomeSchema: JSONSchemaType<PaymentOutcomeData> = {
  type: "object",
  required: ["order_id", "payment_id", "amount", "currency"],
  properties: { order_id: id, payment_id: id, amount, currency: id, decline_reason: optionalText },
};

/** An entry of the catalog: where the event goes and what its data must look like. */
export interface EventSpec<T> {
  topic: Topic;
  schema: JSONSchemaType<T>;
}

function event<T>(topic: Topic, schema: JSONSchemaType<T>): EventSpec<T> {
  return { topic, schema };
}

/** Every event, by CloudEvent type: the only place an event type is defined. */
export const EVENTS = {
  "order.created": event<OrderCreatedData>(Topics.orders, {
    type: "object",
    required: ["order_id", "customer_name", "customer_email", "origin_address", "destination_address", "package_weight", "items", "payment", "created_at"],
    properties: {
      order_id: id,
      customer_name: text,
      customer_email: { type: "string", minLength: 3 },
      origin_address: text,
      destination_address: text,
      package_weight: { type: "number" },
      package_dimensions: optionalText,
      items: { type: "array", minItems: 1, items: orderLineSchema },
      payment: paymentInstructionSchema,
      created_at: text,
    },
  }),
  "order.status_changed": event<OrderStatusChangedData>(Topics.orders, {
    type: "object",
    required: ["order_id", "status", "previous_status", "order"],
    properties: { order_id: id, status: orderStatusSchema, previous_status: orderStatusSchema, reason: optionalText, order: orderSnapshotSchema },
  }),
  "order.cancelled": event<OrderCancelledData>(Topics.orders, {
    type: "object",
    required: ["order_id", "previous_status"],
    properties: { order_id: id, previous_status: orderStatusSchema },
  }),
  "order.updated": event<OrderUpdatedData>(Topics.orders, {
    type: "object",
    required: ["order_id", "order"],
    properties: { order_id: id, order: orderSnapshotSchema },
  }),
  "inventory.reserved": event<InventoryReservedData>(Topics.inventory, {
    type: "object",
    required: ["order_id", "lines", "total_amount", "currency", "expires_at"],
    properties: {
      order_id: id,
      lines: { type: "array", items: reservedLineSchema },
      total_amount: amount,
      currency: id,
      expires_at: timestamp,
      payment: { ...paymentInstructionSchema, nullable: true },
    },
  }),
  "inventory.rejected": event<InventoryRejectedData>(Topics.inventory, {
    type: "object",
    required: ["order_id", "reason", "skus"],
    properties: { order_id: id, reason: { type: "string", enum: REJECTION_REASONS }, skus: { type: "array", items: id } },
  }),
  "inventory.released": event<InventoryReleasedData>(Topics.inventory, {
    type: "object",
    required: ["order_id", "reason", "lines"],
    properties: { order_id: id, reason: { type: "string", enum: RELEASE_REASONS }, lines: { type: "array", items: reservedLineSchema } },
  }),
  "inventory.committed": event<InventoryCommittedData>(Topics.inventory, {
    type: "object",
    required: ["order_id", "lines"],
    properties: { order_id: id, lines: { type: "array", items: reservedLineSchema } },
  }),
  "inventory.stock_changed": event<StockChangedData>(Topics.inventory, {
    type: "object",
    required: ["sku", "on_hand", "reserved", "available"],
    properties: { sku: id, on_hand: { type: "integer" }, reserved: { type: "integer" }, available: { type: "integer" }, updated_at: { ...timestamp, nullable: true } },
  }),
  "inventory.low_stock": event<LowStockData>(Topics.inventory, {
    type: "object",
    required: ["sku", "item_name", "available", "low_stock_threshold"],
    properties: { sku: id, item_name: text, available: { type: "integer" }, low_stock_threshold: { type: "integer" } },
  }),
  "payment.captured": event<PaymentOutcomeData>(Topics.payments, paymentOutcomeSchema),
  "payment.declined": event<PaymentOutcomeData>(Topics.payments, paymentOutcomeSchema),
  "payment.refunded": event<PaymentOutcomeData>(Topics.payments, paymentOutcomeSchema),
  "shipment.created": event<ShipmentCreatedData>(Topics.shipments, {
    type: "object",
    required: ["order_id", "shipment_id", "tracking_number", "courier", "estimated_delivery"],
    properties: { order_id: id, shipment_id: id, tracking_number: id, courier: text, estimated_delivery: text },
  }),
  "shipment.status_changed": event<ShipmentStatusChangedData>(Topics.shipments, {
    type: "object",
    required: ["order_id", "shipment_id", "tracking_number", "status", "at"],
    properties: {
      order_id: id,
      shipment_id: id,
      tracking_number: id,
      status: { type: "string", enum: SHIPMENT_STATUSES },
      at: text,
      location: optionalText,
    },
  }),
  "shipment.location_updated": event<ShipmentLocationUpdatedData>(Topics.shipments, {
    type: "object",
    required: ["order_id", "shipment_id", "tracking_number", "lat", "lon", "at"],
    properties: {
      order_id: id,
      shipment_id: id,
      tracking_number: id,
      lat: { type: "number" },
      lon: { type: "number" },
      description: optionalText,
      at: text,
    },
  }),
  "notification.sent": event<NotificationSentData>(Topics.notifications, {
    type: "object",
    required: ["id", "order_id", "channel", "recipient", "template", "subject", "status", "sent_at"],
    properties: {
      id,
      order_id: id,
      channel: { type: "string", const: "email" },
      recipient: text,
      template: text,
      subject: text,
      status: { type: "string", const: "sent" },
      sent_at: text,
    },
  }),
};

type Catalog = typeof EVENTS;

/** Every CloudEvent type. */
export type EventType = keyof Catalog;

/** The data of each event type. */
export type EventMap = { [K in EventType]: Catalog[K] extends EventSpec<infer T> ? T : never };

/** An event as a domain emits it: a discriminated union on `type`. */
export type DomainEvent<K extends EventType = EventType> = { [T in K]: { type: T; data: EventMap[T] } }[K];

/** The events of the types whose name starts with `prefix` (say, "order."). */
export type EventsOf<Prefix extends string> = DomainEvent<Extract<EventType, `${Prefix}${string}`>>;

/** An event of the catalog, built with its type checked against its data. */
export function domainEvent<K extends EventType>(type: K, data: EventMap[K]): DomainEvent<K> {
  return { type, data } as DomainEvent<K>;
}

/**
 * Publishes an event straight to its topic, outside any transaction: for
 * saying again what is already stored (a decision a reconciliation asks for),
 * never for announcing a change, which goes through the store's outbox.
 */
export function publishAgain(publisher: EventPublisher, event: DomainEvent): Promise<void> {
  return publisher.publish(EVENTS[event.type].topic, event.type, event.data);
}
