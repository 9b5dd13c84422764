/**
 * The OpenAPI 3.1 description of the public API (GET /openapi.json), built
 * from the very JSON Schemas the services validate requests with, so the
 * description cannot drift from what is enforced.
 */
import { itemInputSchema, restockSchema, stockItemSchema } from "../contracts/api/inventory.ts";
import type { JsonSchema } from "../kit/validation.ts";
import { ORDER_STATUSES } from "../contracts/api/orders.ts";
import { newOrderSchema, orderSchema, statusUpdateSchema } from "../contracts/api/orders.ts";
import { notificationSchema } from "../contracts/api/notifications.ts";
import { paymentSchema } from "../contracts/api/payments.ts";
import { positionSchema, scanSchema, shipmentSchema, trackingSchema } from "../contracts/api/shipments.ts";

/** A schema as a component: JSON Schema's $id names it, and the component's name does that here. */
function component(schema: JsonSchema): JsonSchema {
  const { $id: _id, ...rest } = schema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ "application/json": { schema } });
const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: ref("Problem") } } });
const ok = (description: string, schema: unknown) => ({ description, content: json(schema) });
const body = (name: string) => ({ required: true, content: json(ref(name)) });
const pathParam = (name: string, description: string) => ({ name, in: "path", required: true, description, schema: { type: "string" } });
const queryParam = (name: string, description: string, schema: JsonSchema, required = false) => ({ name, in: "query", required, description, schema });
const paging = [
  queryParam("page", "Page number, from 1", { type: "integer", minimum: 1, default: 1 }),
  queryParam("page_size", "Items per page", { type: "integer", minimum: 1, maximum: 100, default: 10 }),
];
const paged = (item: string) => ({
  type: "object",
  required: ["items", "page", "page_size", "total"],
  properties: { items: { type: "array", items: ref(item) }, page: { type: "integer" }, page_size: { type: "integer" }, total: { type: "integer" } },
});
const common = { "400": problem("Malformed JSON"), "422": problem("A field breaks the rules; errors names each"), "503": problem("A service is unavailable") };

/** Request schemas by component name: the same objects the services validate with. */
export const REQUEST_SCHEMAS: Record<string, JsonSchema> = {
  NewOrder: newOrderSchema,
  OrderStatusUpdate: statusUpdateSchema,
  StockItemInput: itemInputSchema,
  Restock: restockSchema,
  ShipmentScan: scanSchema,
  ShipmentPosition: positionSchema,
};

export function openApiDocument(): Record<string, unknown> {
  const schemas: Record<string, unknown> = {
    ...Object.fromEntries(Object.entries(REQUEST_SCHEMAS).map(([name, schema]) => [name, component(schema)])),
    Order: component(orderSchema),
    StockItem: component(stockItemSchema),
    Payment: component(paymentSchema),
    Shipment: component(shipmentSchema),
    Tracking: component(trackingSchema),
    Notification: component(notificationSchema),
    Problem: {
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
    },
  };

  const orderId = pathParam("id", "The order's id");
  const sku = pathParam("sku", "The item's SKU");
  const shipmentId = pathParam("id", "The shipment's id");
  const byOrder = queryParam("order_id", "The order's id", { type: "string", minLength: 1 }, true);

  return {
    openapi: "3.1.0",
    info: {
      title: "Logistics platform API",
      version: "1.0.0",
      description: "Orders, inventory, payments, shipments and notifications, through the gateway. Errors are RFC 9457 problem details.",
    },
    servers: [{ url: "/" }],
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    paths: {
      "/api/v1/orders": {
        post: {
          summary: "Place an order",
          parameters: [{ name: "Idempotency-Key", in: "header", required: false, schema: { type: "string", maxLength: 255 } }],
          requestBody: body("NewOrder"),
          responses: {
            "201": { ...ok("The order, pending", ref("Order")), headers: { Location: { schema: { type: "string" } } } },
            "200": ok("The order placed earlier with the same Idempotency-Key and body", ref("Order")),
            "409": problem("The Idempotency-Key was used with another body"),
            ...common,
          },
        },
        get: {
          summary: "List orders, newest first",
          parameters: [...paging, queryParam("status", "Only orders with this status", { enum: [...ORDER_STATUSES] })],
          responses: { "200": ok("A page of orders", paged("Order")), "422": common["422"] },
        },
      },
      "/api/v1/orders/{id}": {
        parameters: [orderId],
        get: { summary: "An order", responses: { "200": ok("The order", ref("Order")), "404": problem("No such order") } },
        delete: {
          summary: "Cancel an order (stock released, payment refunded, shipment cancelled)",
          responses: { "200": ok("The cancelled order", ref("Order")), "404": problem("No such order"), "409": problem("Picked up, delivered or failed: too late"), "503": common["503"] },
        },
      },
      "/api/v1/orders/{id}/items": {
        parameters: [orderId],
        get: { summary: "An order's items", responses: { "200": ok("The items", { type: "array", items: { type: "object" } }), "404": problem("No such order") } },
      },
      "/api/v1/orders/{id}/status": {
        parameters: [orderId],
        put: {
          summary: "Set an order's status (operators: shipped, delivered, cancelled)",
          requestBody: body("OrderStatusUpdate"),
          responses: { "200": ok("The order", ref("Order")), "404": problem("No such order"), "409": problem("The transition is not allowed"), ...common },
        },
      },
      "/api/v1/inventory": {
        get: { summary: "List items", parameters: paging, responses: { "200": ok("A page of items", paged("StockItem")), "422": common["422"] } },
      },
      "/api/v1/inventory/{sku}": {
        parameters: [sku],
        get: { summary: "An item and its stock", responses: { "200": ok("The item", ref("StockItem")), "404": problem("No such item") } },
        put: {
          summary: "Create or replace an item",
          requestBody: body("StockItemInput"),
          responses: { "200": ok("The item", ref("StockItem")), "409": problem("on_hand below reserved stock"), ...common },
        },
      },
      "/api/v1/inventory/{sku}/restock": {
        parameters: [sku],
        post: { summary: "Add stock", requestBody: body("Restock"), responses: { "200": ok("The item", ref("StockItem")), "404": problem("No such item"), ...common } },
      },
      "/api/v1/payments": {
        get: { summary: "An order's payments", parameters: [byOrder], responses: { "200": ok("The payments", { type: "array", items: ref("Payment") }), "422": common["422"] } },
      },
      "/api/v1/shipments": {
        get: { summary: "An order's shipments", parameters: [byOrder], responses: { "200": ok("The shipments", { type: "array", items: ref("Shipment") }), "422": common["422"] } },
      },
      "/api/v1/shipments/{id}": {
        parameters: [shipmentId],
        get: { summary: "A shipment", responses: { "200": ok("The shipment", ref("Shipment")), "404": problem("No such shipment") } },
      },
      "/api/v1/shipments/{id}/events": {
        parameters: [shipmentId],
        post: {
          summary: "A courier scan",
          requestBody: body("ShipmentScan"),
          responses: { "200": ok("The shipment", ref("Shipment")), "404": problem("No such shipment"), "409": problem("Scan out of order"), ...common },
        },
      },
      "/api/v1/shipments/{id}/locations": {
        parameters: [shipmentId],
        post: {
          summary: "A position update",
          requestBody: body("ShipmentPosition"),
          responses: { "200": ok("The shipment", ref("Shipment")), "404": problem("No such shipment"), "409": problem("Delivered or cancelled"), ...common },
        },
      },
      "/api/v1/track/{tracking_number}": {
        parameters: [pathParam("tracking_number", "The shipment's tracking number")],
        get: { summary: "Public tracking", responses: { "200": ok("Where the parcel is", ref("Tracking")), "404": problem("No such tracking number") } },
      },
      "/api/v1/notifications": {
        get: {
          summary: "The messages sent about an order",
          parameters: [byOrder],
          responses: { "200": ok("The notifications", { type: "array", items: ref("Notification") }), "422": common["422"] },
        },
      },
      "/health": { get: { summary: "The gateway, every service and every sidecar", responses: { "200": { description: "All up" }, "503": { description: "Degraded" } } } },
      "/metrics": { get: { summary: "Prometheus metrics", responses: { "200": { description: "Text exposition format" } } } },
    },
    components: { schemas },
  };
}
