/**
 * JSON Schemas (2020-12) of the read side's answers (the dashboard service):
 * the operations' summary and an order as the search finds it. The gateway's
 * OpenAPI document is built from them; the search's query is read by
 * services/dashboard/routes.ts with the limits given here.
 */
import type { JsonSchema } from "../../kit/validation.ts";
import { ORDER_STATUSES } from "./orders.ts";

/** How the search may order its results: by creation, oldest or (with "-") newest first. */
export const SEARCH_SORTS = ["created_at", "-created_at"] as const;
export type SearchSort = (typeof SEARCH_SORTS)[number];

/** A search's time bound: a date (2026-03-01, midnight UTC) or a date-time (RFC 3339). */
export const INSTANT_SCHEMA: JsonSchema = { type: "string", anyOf: [{ format: "date" }, { format: "date-time" }] };

const count = { type: "integer", minimum: 0 } as const;
const nullableMs = { type: ["integer", "null"], minimum: 0 } as const;

export const dashboardSummarySchema: JsonSchema = {
  $id: "DashboardSummary",
  type: "object",
  required: ["as_of", "orders_by_status", "last_hour", "saga_latency_ms", "low_stock", "courier_load"],
  properties: {
    as_of: { type: "string", format: "date-time" },
    orders_by_status: { type: "object", required: [...ORDER_STATUSES], properties: Object.fromEntries(ORDER_STATUSES.map((s) => [s, count])) },
    last_hour: {
      type: "object",
      required: ["created", "confirmed", "failed", "revenue", "per_minute"],
      properties: {
        created: count,
        confirmed: count,
        failed: count,
        revenue: { type: "number" },
        per_minute: {
          type: "array",
          items: {
            type: "object",
            required: ["minute", "created", "confirmed", "failed", "revenue", "saga_ms_sum"],
            properties: { minute: { type: "string" }, created: count, confirmed: count, failed: count, revenue: { type: "number" }, saga_ms_sum: count },
          },
        },
      },
    },
    saga_latency_ms: { type: "object", required: ["p50", "p95", "samples"], properties: { p50: nullableMs, p95: nullableMs, samples: count } },
    low_stock: {
      type: "array",
      items: { type: "object", required: ["sku", "available", "low_stock_threshold"], properties: { sku: { type: "string" }, item_name: { type: "string" }, available: { type: "integer" }, low_stock_threshold: { type: "integer" } } },
    },
    courier_load: { type: "array", items: { type: "object", required: ["courier", "active_shipments"], properties: { courier: { type: "string" }, active_shipments: count } } },
  },
};

export const orderViewSchema: JsonSchema = {
  $id: "OrderView",
  type: "object",
  required: ["id", "status", "customer_name", "customer_email", "items", "skus", "history", "created_at", "updated_at"],
  properties: {
    id: { type: "string" },
    status: { enum: [...ORDER_STATUSES] },
    status_reason: { type: "string" },
    customer_name: { type: "string" },
    customer_email: { type: "string" },
    items: { type: "array", items: { type: "object", properties: { sku: { type: "string" }, item_name: { type: "string" }, quantity: { type: "integer" }, unit_price: { type: "number" } } } },
    skus: { type: "array", items: { type: "string" } },
    total_amount: { type: "number" },
    currency: { type: "string" },
    payment: { type: "object", properties: { id: { type: "string" }, status: { enum: ["captured", "declined", "refunded"] }, amount: { type: "number" }, currency: { type: "string" }, decline_reason: { type: "string" } } },
    shipment: { type: "object", properties: { id: { type: "string" }, tracking_number: { type: "string" }, courier: { type: "string" }, status: { type: "string" }, estimated_delivery: { type: "string" }, at: { type: "string" } } },
    history: { type: "array", items: { type: "object", required: ["status", "at"], properties: { status: { enum: [...ORDER_STATUSES] }, at: { type: "string" }, reason: { type: "string" } } } },
    created_at: { type: "string" },
    updated_at: { type: "string" },
    confirmed_at: { type: "string" },
    saga_ms: { type: "integer" },
    failed_at: { type: "string" },
  },
};

/** How the read side's rebuild from the services' APIs goes. */
export const dashboardRebuildSchema: JsonSchema = {
  $id: "DashboardRebuild",
  type: "object",
  required: ["state", "orders", "skus"],
  properties: {
    state: { enum: ["idle", "running", "done", "failed"] },
    started_at: { type: "string", format: "date-time" },
    finished_at: { type: "string", format: "date-time" },
    orders: { ...count, description: "Orders rebuilt so far" },
    skus: { ...count, description: "SKUs rebuilt so far" },
    orders_total: { ...count, description: "Orders the order service counted when the rebuild began" },
    error: { type: "string", description: "Why it failed (run it again)" },
  },
};
