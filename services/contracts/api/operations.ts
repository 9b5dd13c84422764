/**
 * The public API as data: every operation the gateway forwards, the service
 * that answers it, its parameters, request body and answers. The gateway's
 * /openapi.json is built from it (services/gateway/openapi.ts), the services
 * validate with the same schemas, and a unit test holds every service's
 * router to it: the same paths and methods, and no status that is not here.
 */
import { deadLetterDiscardSchema } from "../../kit/events/dead-letters.ts";
import type { JsonSchema } from "../../kit/validation.ts";
import { MAX_PAGE, MAX_PAGE_SIZE } from "../../kit/http/paging.ts";
import { itemInputSchema, restockSchema, SKU_PATTERN, stockItemSchema } from "./inventory.ts";
import { dashboardRebuildSchema, dashboardSummarySchema, INSTANT_SCHEMA, orderViewSchema, SEARCH_SORTS } from "./dashboard.ts";
import { notificationSchema } from "./notifications.ts";
import { IDEMPOTENCY_KEY_PATTERN, newOrderSchema, ORDER_STATUSES, orderSchema, statusUpdateSchema } from "./orders.ts";
import { paymentSchema } from "./payments.ts";
import { positionSchema, scanSchema, shipmentSchema, trackingSchema } from "./shipments.ts";

/** The app-ids of the services behind the gateway. */
export type ServiceId = "order" | "inventory" | "payment" | "tracking" | "notification" | "dashboard";

/** Who a caller is to the API. */
export const ROLES = ["customer", "operator", "courier"] as const;
export type Role = (typeof ROLES)[number];

/**
 * Who may call an operation: anyone ("public"), or callers with one of
 * `roles`. With `own`, a customer or courier is held to what is theirs: a
 * customer to the orders placed with their email (and to placing orders in
 * their own name), a courier to the shipments assigned to them. Operators
 * may call every operation that is not public, on anything.
 */
export type Access = "public" | { roles: Role[]; own?: "order" | "shipment" };

export interface Parameter {
  name: string;
  in: "path" | "query" | "header";
  required: boolean;
  description: string;
  schema: JsonSchema;
}

/** An answer: its description and, for a success, the schema of its body (problems share one schema). */
export interface Answer {
  description: string;
  schema?: JsonSchema;
  /** The answer's media type when it is not JSON (a stream of Server-Sent Events). */
  mediaType?: string;
  headers?: Record<string, { schema: JsonSchema }>;
}

export interface Operation {
  /** The service that answers it; "each" for the operator routes every service serves (the one named by the {service} parameter). */
  service: ServiceId | "each";
  /** For an operation of "each": the path on the service, with the operation's parameters in braces. */
  upstream?: string;
  method: "get" | "post" | "put" | "delete";
  /** The path under the gateway, OpenAPI style (`/api/v1/orders/{id}`). */
  path: string;
  summary: string;
  parameters?: Parameter[];
  /** The component name of the request body's schema (a key of SCHEMAS). */
  body?: string;
  /** A valid request body, for the document and for the contract test. */
  example?: Record<string, unknown>;
  /** Answers by status, besides those every operation can give (COMMON_ANSWERS). */
  answers: Record<string, Answer>;
  /** Who may call it. */
  access: Access;
  /** Answers a stream that stays open (Server-Sent Events): the gateway passes it on as it comes. */
  streams?: true;
}

/** The schemas of request and answer bodies, by component name. */
export const SCHEMAS: Record<string, JsonSchema> = {
  DeadLetterDiscard: deadLetterDiscardSchema,
  NewOrder: newOrderSchema,
  OrderStatusUpdate: statusUpdateSchema,
  StockItemInput: itemInputSchema,
  Restock: restockSchema,
  ShipmentScan: scanSchema,
  ShipmentPosition: positionSchema,
  Order: orderSchema,
  StockItem: stockItemSchema,
  Payment: paymentSchema,
  Shipment: shipmentSchema,
  Tracking: trackingSchema,
  Notification: notificationSchema,
  DashboardSummary: dashboardSummarySchema,
  DashboardRebuild: dashboardRebuildSchema,
  OrderView: orderViewSchema,
};

/** What a problem answer's body is (RFC 9457). */
export const PROBLEM_SCHEMA: JsonSchema = {
  type: "object",
  required: ["type", "title", "status"],
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    instance: { type: "string" },
    errors: { type: "array", items: { type: "object", required: ["field", "message"], properties: { field: { type: "string" }, message: { type: "string" } } } },
  },
};

/** Answers any forwarded operation may give: the gateway's, when the owning service cannot be reached. */
export const COMMON_ANSWERS: Record<string, Answer> = {
  "429": { description: "The caller made too many requests this window; retry after Retry-After seconds (RateLimit-* headers on every answer)" },
  "503": { description: "The owning service or a dependency is unavailable or busy; retry (Retry-After)" },
  "504": { description: "The owning service did not answer in time; the outcome is unknown" },
};

/** Answers every operation with a JSON body may give. */
export const BODY_ANSWERS: Record<string, Answer> = {
  "400": { description: "Malformed JSON" },
  "413": { description: "The body is too large" },
  "415": { description: "The body is not application/json" },
  "422": { description: "A field breaks the rules; errors names each" },
};

/**
 * What an id in a path may be: characters that pass through every hop
 * unchanged (Dapr's service invocation decodes a path once, and refuses a
 * `#` or `?` in it or a stray `%`). The gateway answers 422 for any other.
 */
export const IDENTIFIER_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$";

/** The answer the gateway gives a path parameter that breaks its schema (every operation with one). */
export const PATH_PARAMETER_ANSWER: Answer = { description: "A path parameter breaks the rules; errors names it" };

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const path = (name: string, description: string, schema: JsonSchema = { type: "string", pattern: IDENTIFIER_PATTERN }): Parameter => ({ name, in: "path", required: true, description, schema });
const query = (name: string, description: string, schema: JsonSchema, required = false): Parameter => ({ name, in: "query", required, description, schema });
const paging = [
  query("page", "Page number, from 1", { type: "integer", minimum: 1, maximum: MAX_PAGE, default: 1 }),
  query("page_size", "Items per page", { type: "integer", minimum: 1, maximum: MAX_PAGE_SIZE, default: 10 }),
];
const paged = (item: string): JsonSchema => ({
  type: "object",
  required: ["items", "page", "page_size", "total"],
  properties: { items: { type: "array", items: ref(item) }, page: { type: "integer" }, page_size: { type: "integer" }, total: { type: "integer" } },
});
const listOf = (item: string): JsonSchema => ({ type: "array", items: ref(item) });
const badQuery: Answer = { description: "A query parameter breaks the rules; errors names each" };
const byOrder = query("order_id", "The order's id", { type: "string", minLength: 1 }, true);
const orderId = path("id", "The order's id");
const sku = path("sku", "The item's SKU", { type: "string", pattern: SKU_PATTERN });
const shipmentId = path("id", "The shipment's id");

const OPERATORS: Access = { roles: ["operator"] };
const CUSTOMER_OWN_ORDER: Access = { roles: ["customer", "operator"], own: "order" };
const COURIER_OWN_SHIPMENT: Access = { roles: ["courier", "operator"], own: "shipment" };

export const OPERATIONS: Operation[] = [
  {
    service: "order",
    method: "post",
    path: "/api/v1/orders",
    access: { roles: ["customer", "operator"], own: "order" },
    summary: "Place an order",
    parameters: [{ name: "Idempotency-Key", in: "header", required: false, description: "Repeats of one request return one order", schema: { type: "string", pattern: IDEMPOTENCY_KEY_PATTERN } }],
    body: "NewOrder",
    example: {
      customer_name: "Ada Lovelace",
      customer_email: "ada@example.com",
      origin_address: "1 Analytical Way, London",
      destination_address: "12 Engine Street, Manchester",
      package_weight: 2.5,
      package_dimensions: "30x20x10",
      items: [{ sku: "SKU-BOLT", item_name: "Brass bolt", quantity: 3 }],
    },
    answers: {
      "201": { description: "The order, pending", schema: ref("Order"), headers: { Location: { schema: { type: "string" } } } },
      "200": { description: "The order placed earlier with the same Idempotency-Key and body", schema: ref("Order") },
      "400": { description: "Malformed JSON, or an Idempotency-Key that breaks the rules" },
      "409": { description: "The Idempotency-Key was used with another body" },
    },
  },
  {
    service: "order",
    method: "get",
    path: "/api/v1/orders",
    access: OPERATORS,
    summary: "List orders, newest first",
    parameters: [...paging, query("status", "Only orders with this status", { enum: [...ORDER_STATUSES] })],
    answers: { "200": { description: "A page of orders", schema: paged("Order") }, "422": badQuery },
  },
  {
    service: "order",
    method: "get",
    path: "/api/v1/orders/{id}",
    access: CUSTOMER_OWN_ORDER,
    summary: "An order",
    parameters: [orderId],
    answers: { "200": { description: "The order", schema: ref("Order") }, "404": { description: "No such order" } },
  },
  {
    service: "order",
    method: "delete",
    path: "/api/v1/orders/{id}",
    access: CUSTOMER_OWN_ORDER,
    summary: "Cancel an order (stock released, payment refunded, shipment cancelled)",
    parameters: [orderId],
    answers: {
      "200": { description: "The cancelled order", schema: ref("Order") },
      "404": { description: "No such order" },
      "409": { description: "Picked up, delivered or failed: too late" },
    },
  },
  {
    service: "order",
    method: "get",
    path: "/api/v1/orders/{id}/items",
    access: CUSTOMER_OWN_ORDER,
    summary: "An order's items",
    parameters: [orderId],
    answers: { "200": { description: "The items", schema: { type: "array", items: { type: "object" } } }, "404": { description: "No such order" } },
  },
  {
    service: "order",
    method: "put",
    path: "/api/v1/orders/{id}/status",
    access: OPERATORS,
    summary: "Set an order's status (operators: shipped, delivered, cancelled)",
    parameters: [orderId],
    body: "OrderStatusUpdate",
    example: { status: "shipped" },
    answers: {
      "200": { description: "The order", schema: ref("Order") },
      "404": { description: "No such order" },
      "409": { description: "The transition is not allowed" },
    },
  },
  {
    service: "inventory",
    method: "get",
    path: "/api/v1/inventory",
    access: OPERATORS,
    summary: "List items",
    parameters: paging,
    answers: { "200": { description: "A page of items", schema: paged("StockItem") }, "422": badQuery },
  },
  {
    service: "inventory",
    method: "get",
    path: "/api/v1/inventory/{sku}",
    access: OPERATORS,
    summary: "An item and its stock",
    parameters: [sku],
    answers: { "200": { description: "The item", schema: ref("StockItem") }, "404": { description: "No such item" }, "422": { description: "The SKU breaks the rules" } },
  },
  {
    service: "inventory",
    method: "put",
    path: "/api/v1/inventory/{sku}",
    access: OPERATORS,
    summary: "Create or replace an item",
    parameters: [sku],
    body: "StockItemInput",
    example: { item_name: "Brass bolt", unit_price: 0.25, on_hand: 100, low_stock_threshold: 10 },
    answers: { "200": { description: "The item", schema: ref("StockItem") }, "409": { description: "on_hand below reserved stock" } },
  },
  {
    service: "inventory",
    method: "post",
    path: "/api/v1/inventory/{sku}/restock",
    access: OPERATORS,
    summary: "Add stock",
    parameters: [sku],
    body: "Restock",
    example: { quantity: 50 },
    answers: { "200": { description: "The item", schema: ref("StockItem") }, "404": { description: "No such item" } },
  },
  {
    service: "payment",
    method: "get",
    path: "/api/v1/payments",
    access: OPERATORS,
    summary: "An order's payments",
    parameters: [byOrder],
    answers: { "200": { description: "The payments", schema: listOf("Payment") }, "422": badQuery },
  },
  {
    service: "tracking",
    method: "get",
    path: "/api/v1/shipments",
    access: OPERATORS,
    summary: "An order's shipments",
    parameters: [byOrder],
    answers: { "200": { description: "The shipments", schema: listOf("Shipment") }, "422": badQuery },
  },
  {
    service: "tracking",
    method: "get",
    path: "/api/v1/shipments/{id}",
    access: COURIER_OWN_SHIPMENT,
    summary: "A shipment",
    parameters: [shipmentId],
    answers: { "200": { description: "The shipment", schema: ref("Shipment") }, "404": { description: "No such shipment" } },
  },
  {
    service: "tracking",
    method: "post",
    path: "/api/v1/shipments/{id}/events",
    access: COURIER_OWN_SHIPMENT,
    summary: "A courier scan",
    parameters: [shipmentId],
    body: "ShipmentScan",
    example: { status: "picked_up", location: "London depot" },
    answers: {
      "200": { description: "The shipment", schema: ref("Shipment") },
      "404": { description: "No such shipment" },
      "409": { description: "Scan out of order" },
    },
  },
  {
    service: "tracking",
    method: "post",
    path: "/api/v1/shipments/{id}/locations",
    access: COURIER_OWN_SHIPMENT,
    summary: "A position update",
    parameters: [shipmentId],
    body: "ShipmentPosition",
    example: { lat: 51.5, lon: -0.12, description: "A40 westbound" },
    answers: {
      "200": { description: "The shipment", schema: ref("Shipment") },
      "404": { description: "No such shipment" },
      "409": { description: "Delivered or cancelled" },
    },
  },
  {
    service: "tracking",
    method: "get",
    path: "/api/v1/track/{tracking_number}",
    access: "public",
    summary: "Public tracking",
    parameters: [path("tracking_number", "The shipment's tracking number")],
    answers: { "200": { description: "Where the parcel is", schema: ref("Tracking") }, "404": { description: "No such tracking number" } },
  },
  {
    service: "notification",
    method: "get",
    path: "/api/v1/notifications",
    access: OPERATORS,
    summary: "The messages sent about an order",
    parameters: [byOrder],
    answers: { "200": { description: "The notifications", schema: listOf("Notification") }, "422": badQuery },
  },
  {
    service: "dashboard",
    method: "get",
    path: "/api/v1/dashboard/summary",
    access: OPERATORS,
    summary: "How things stand: orders by status, the last hour's throughput and revenue, the saga's latency, low stock, couriers' load",
    answers: { "200": { description: "The summary, from the read side's projection of every event", schema: ref("DashboardSummary") } },
  },
  {
    service: "dashboard",
    method: "get",
    path: "/api/v1/dashboard/stream",
    access: OPERATORS,
    streams: true,
    summary: "The live page's feed: the summary at most once a second while events apply, and each applied event as it is applied",
    answers: {
      "200": {
        description: "Server-Sent Events: `events` (the latest, on connecting), `summary` (a DashboardSummary) and `event` (one applied event: id, type, at, order_id, status, sku); open until the client leaves",
        mediaType: "text/event-stream",
        schema: { type: "string" },
      },
    },
  },
  {
    service: "dashboard",
    method: "post",
    path: "/api/v1/dashboard/rebuild",
    access: OPERATORS,
    summary: "Drop the read side's views and rebuild them from the services' APIs, in the background (events keep applying meanwhile)",
    answers: {
      "202": { description: "Started; GET the same path for how it goes", schema: ref("DashboardRebuild") },
      "409": { description: "A rebuild is running" },
    },
  },
  {
    service: "dashboard",
    method: "get",
    path: "/api/v1/dashboard/rebuild",
    access: OPERATORS,
    summary: "How the last rebuild of the read side went, or goes",
    answers: { "200": { description: "Its state and counts", schema: ref("DashboardRebuild") } },
  },
  {
    service: "dashboard",
    method: "get",
    path: "/api/v1/search/orders",
    access: OPERATORS,
    summary: "Search orders by customer, SKU, status, creation time and text",
    parameters: [
      ...paging,
      query("customer", "The customer's email (any case) or words of their name", { type: "string", minLength: 1, maxLength: 200 }),
      query("sku", "Orders with this SKU", { type: "string", pattern: SKU_PATTERN }),
      query("status", "Orders with this status", { enum: [...ORDER_STATUSES] }),
      query("created_from", "Created at or after (a date, or a date-time)", INSTANT_SCHEMA),
      query("created_to", "Created before (a date, or a date-time); a range that ends before it starts finds nothing", INSTANT_SCHEMA),
      query("q", "Words that must all match: ids, names, SKUs, tracking numbers", { type: "string", minLength: 1, maxLength: 200 }),
      query("sort", "created_at (oldest first) or -created_at (newest first, the default)", { enum: [...SEARCH_SORTS] }),
    ],
    answers: { "200": { description: "A page of orders as the read side knows them", schema: paged("OrderView") }, "422": badQuery },
  },
];

/** Answers every operation that is not public may give: the gateway's, about the caller. */
export const SECURED_ANSWERS: Record<string, Answer> = {
  "401": { description: "No credentials, or ones the gateway does not accept (WWW-Authenticate says which)" },
  "403": { description: "The caller's role may not call this operation" },
};

const service = path("service", "The service whose dead letters: order, inventory, payment, tracking, notification or dashboard");
const deadLetterList: JsonSchema = {
  type: "object",
  description: "The kept dead letters by dead-letter topic",
  additionalProperties: {
    type: "array",
    items: {
      type: "object",
      required: ["id", "type", "source", "received_at"],
      properties: { id: { type: "string" }, type: { type: "string" }, source: { type: "string" }, data: {}, received_at: { type: "string" } },
    },
  },
};

/** The operators' handle on each service's dead letters (the kit's routes, events/dead-letters.ts). */
export const DEAD_LETTER_OPERATIONS: Operation[] = [
  {
    service: "each",
    upstream: "/dead-letters",
    method: "get",
    path: "/api/v1/dead-letters/{service}",
    access: OPERATORS,
    summary: "A service's kept dead letters",
    parameters: [service],
    answers: { "200": { description: "The letters by dead-letter topic", schema: deadLetterList }, "404": { description: "No such service" } },
  },
  {
    service: "each",
    upstream: "/dead-letters/redrive",
    method: "post",
    path: "/api/v1/dead-letters/{service}/redrive",
    access: OPERATORS,
    summary: "Apply a service's kept dead letters again, after a fix (all, ?topic=, &id=); those that apply are forgotten",
    parameters: [service, query("topic", "Only this dead-letter topic's", { type: "string" }), query("id", "Only this event", { type: "string" })],
    answers: {
      "200": {
        description: "What each letter came to",
        schema: {
          type: "object",
          required: ["redriven"],
          properties: { redriven: { type: "array", items: { type: "object", properties: { topic: { type: "string" }, id: { type: "string" }, outcome: { type: "string" } } } } },
        },
      },
      "404": { description: "No such service" },
    },
  },
  {
    service: "each",
    upstream: "/dead-letters/{topic}/{id}",
    method: "delete",
    path: "/api/v1/dead-letters/{service}/{topic}/{id}",
    access: OPERATORS,
    summary: "Discard one kept dead letter, saying why (logged)",
    parameters: [service, path("topic", "The dead-letter topic"), path("id", "The event's id")],
    body: "DeadLetterDiscard",
    example: { reason: "an order of the retired test shop; nothing to apply it to" },
    answers: { "204": { description: "Discarded" }, "404": { description: "No such service, or no such letter" } },
  },
];

/** Every status an operation may answer: its own, the body ones when it takes a body, the caller ones when it is not public, and the common ones. */
export function answersOf(operation: Operation): Record<string, Answer> {
  const pathParameters: Record<string, Answer> = operation.parameters?.some((p) => p.in === "path") ? { "422": PATH_PARAMETER_ANSWER } : {};
  return { ...pathParameters, ...operation.answers, ...(operation.body ? BODY_ANSWERS : {}), ...(operation.access === "public" ? {} : SECURED_ANSWERS), ...COMMON_ANSWERS };
}

/** Everything the gateway answers under /api/v1: the services' operations and the operators' dead-letter ones. */
export const GATEWAY_OPERATIONS: Operation[] = [...OPERATIONS, ...DEAD_LETTER_OPERATIONS];
