/** What the rebuild reads, from the services' APIs through service invocation. */
import type { ServiceInvoker } from "../kit/ports/ports.ts";
import type { ChargeRecord, OrderRecord, ServiceRecords, ShipmentRecord, StockRecord } from "./rebuild.ts";

/** The app ids of the services the rebuild reads. */
export interface RecordSources {
  order: string;
  payment: string;
  tracking: string;
  inventory: string;
}

/** A call that answered otherwise than 200 fails the rebuild (the operator runs it again). */
async function get<T>(invoker: ServiceInvoker, appId: string, path: string): Promise<T> {
  const answer = await invoker.invoke(appId, { method: "GET", path, headers: { accept: "application/json" }, timeoutMs: 30_000 });
  const body = new TextDecoder().decode(answer.body);
  if (answer.status !== 200) throw new Error(`GET ${path} on ${appId} answered ${answer.status}: ${body.slice(0, 200)}`);
  return JSON.parse(body) as T;
}

export function recordsThrough(invoker: ServiceInvoker, apps: RecordSources): ServiceRecords {
  const page = (n: number, size: number) => `page=${n}&page_size=${size}`;
  return {
    orders: (n, size) => get<{ items: OrderRecord[]; total: number }>(invoker, apps.order, `api/v1/orders?${page(n, size)}`),
    charges: (orderId) => get<ChargeRecord[]>(invoker, apps.payment, `api/v1/payments?order_id=${encodeURIComponent(orderId)}`),
    shipments: (orderId) => get<ShipmentRecord[]>(invoker, apps.tracking, `api/v1/shipments?order_id=${encodeURIComponent(orderId)}`),
    stock: (n, size) => get<{ items: StockRecord[]; total: number }>(invoker, apps.inventory, `api/v1/inventory?${page(n, size)}`),
  };
}
