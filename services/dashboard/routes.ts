/** The read side's API: the operations' summary, the live feed, the order search and the rebuild. */
import { PassThrough } from "node:stream";
import Router from "@koa/router";
import { INSTANT_SCHEMA, SEARCH_SORTS } from "../contracts/api/dashboard.ts";
import type { SearchSort } from "../contracts/api/dashboard.ts";
import { SKU_PATTERN } from "../contracts/api/inventory.ts";
import { ORDER_STATUSES } from "../contracts/api/orders.ts";
import type { OrderStatus } from "../contracts/api/orders.ts";
import { readPaging } from "../kit/http/paging.ts";
import { schemaCheck } from "../kit/validation.ts";
import type { FieldError } from "../kit/http/problems.ts";
import { HttpProblem, KitProblems } from "../kit/http/problems.ts";
import type { LiveFeed } from "./live.ts";
import type { Rebuilder } from "./rebuild.ts";
import type { Projections } from "./read-side.ts";
import type { OrderSearch } from "./store.ts";

/** The longest text a search takes in one parameter. */
export const MAX_SEARCH_TEXT = 200;

/** One string query parameter: undefined when absent; a field error when repeated, empty or too long. */
function text(query: Record<string, unknown>, name: string, errors: FieldError[]): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value.trim() === "" || value.length > MAX_SEARCH_TEXT) {
    errors.push({ field: name, message: `must be given once, 1 to ${MAX_SEARCH_TEXT} characters` });
    return undefined;
  }
  return value.trim();
}

const instantErrors = schemaCheck(INSTANT_SCHEMA);

/** A time bound: what INSTANT_SCHEMA accepts, as an ISO instant (a date is its midnight UTC). */
function instant(query: Record<string, unknown>, name: string, errors: FieldError[]): string | undefined {
  const value = text(query, name, errors);
  if (value === undefined) return undefined;
  // RFC 3339 allows a lower-case t and z, which Date.parse does not read.
  const parsed = Date.parse(value.toUpperCase());
  if (instantErrors(value).length > 0 || Number.isNaN(parsed)) {
    errors.push({ field: name, message: "must be a date (2026-03-01) or a date-time (2026-03-01T09:00:00Z)" });
    return undefined;
  }
  return new Date(parsed).toISOString();
}

/** Reads and checks the search's query; one 422 names every bad parameter. */
export function readSearch(query: Record<string, unknown>): OrderSearch {
  const filters: Omit<OrderSearch, "offset" | "limit"> = { sort: "-created_at" };
  const paging = readPaging(query, (errors) => {
    const customer = text(query, "customer", errors);
    if (customer) filters.customer = customer;
    const sku = text(query, "sku", errors);
    if (sku !== undefined && !new RegExp(SKU_PATTERN).test(sku)) errors.push({ field: "sku", message: "is not a SKU" });
    else if (sku) filters.sku = sku;
    const status = text(query, "status", errors);
    if (status !== undefined && !(ORDER_STATUSES as readonly string[]).includes(status)) errors.push({ field: "status", message: `must be one of ${ORDER_STATUSES.join(", ")}` });
    else if (status) filters.status = status as OrderStatus;
    const from = instant(query, "created_from", errors);
    const to = instant(query, "created_to", errors);
    if (from) filters.created_from = from;
    if (to) filters.created_to = to;
    const q = text(query, "q", errors);
    if (q) filters.text = q;
    const sort = text(query, "sort", errors);
    if (sort !== undefined && !(SEARCH_SORTS as readonly string[]).includes(sort)) errors.push({ field: "sort", message: `must be one of ${SEARCH_SORTS.join(", ")}` });
    else if (sort) filters.sort = sort as SearchSort;
  });
  return { ...filters, offset: paging.offset, limit: paging.page_size };
}

/** How often an idle stream says it is still there (proxies close silent connections). */
const KEEP_ALIVE_MS = 15_000;

export function dashboardRoutes(projections: Projections, feed: LiveFeed, rebuilder?: Rebuilder): Router {
  const router = new Router();
  // Server-Sent Events: "events" (the latest), then "summary" and each "event" as they come.
  router.get("/api/v1/dashboard/stream", async (ctx) => {
    const stream = new PassThrough();
    const write = (chunk: string) => {
      if (!stream.writableEnded) stream.write(chunk);
    };
    ctx.req.socket?.setNoDelay?.(true);
    ctx.req.socket?.setTimeout?.(0);
    ctx.status = 200;
    ctx.set({ "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" });
    ctx.body = stream;
    // The browser reconnects after this long if the stream breaks.
    write("retry: 2000\n\n");
    const keepAlive = setInterval(() => write(": still here\n\n"), KEEP_ALIVE_MS);
    const stop = await feed.watch({
      send: (event, data) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
      end: () => stream.end(),
    });
    const close = () => {
      clearInterval(keepAlive);
      stop();
      stream.end();
    };
    ctx.res.once("close", close);
    stream.once("close", close);
  });
  router.get("/api/v1/dashboard/summary", async (ctx) => {
    ctx.body = await projections.summary();
  });
  // The operator's rebuild: runs in the background; its state says how it goes.
  router.post("/api/v1/dashboard/rebuild", async (ctx) => {
    if (!rebuilder) throw new HttpProblem(KitProblems.unavailable, "This dashboard cannot reach the services to rebuild from");
    const { started, state } = rebuilder.start();
    if (!started) throw new HttpProblem(KitProblems.conflict, `A rebuild is running since ${state.started_at}: ${state.orders} orders so far`);
    ctx.status = 202;
    ctx.set("Location", "/api/v1/dashboard/rebuild");
    ctx.body = state;
  });
  router.get("/api/v1/dashboard/rebuild", async (ctx) => {
    ctx.body = rebuilder?.state ?? { state: "idle", orders: 0, skus: 0 };
  });
  router.get("/api/v1/search/orders", async (ctx) => {
    const search = readSearch(ctx.query);
    const found = await projections.searchOrders(search);
    ctx.body = { items: found.items, page: search.offset / search.limit + 1, page_size: search.limit, total: found.total };
  });
  return router;
}
