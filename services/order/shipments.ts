/**
 * Calling off an order's shipment, through service invocation of the
 * tracking service. A cancellation asks before it commits, so that a parcel
 * picked up a moment ago is never left travelling for a cancelled order.
 */
import { DaprTimeoutError, DaprUnavailableError } from "../kit/ports/errors.ts";
import type { ServiceInvoker } from "../kit/ports/ports.ts";

export interface ShipmentCanceller {
  /** "cancelled" (or there was none, and now never will be), or "too-late" once picked up. */
  cancel(orderId: string): Promise<"cancelled" | "too-late">;
}

export class TrackingShipmentCanceller implements ShipmentCanceller {
  readonly #invoker: ServiceInvoker;
  readonly #appId: string;
  readonly #timeoutMs: number;

  constructor(invoker: ServiceInvoker, appId: string, timeoutMs: number) {
    this.#invoker = invoker;
    this.#appId = appId;
    this.#timeoutMs = timeoutMs;
  }

  async cancel(orderId: string): Promise<"cancelled" | "too-late"> {
    const response = await this.#invoker.invoke(this.#appId, {
      method: "POST",
      path: `internal/orders/${encodeURIComponent(orderId)}/shipment/cancel`,
      headers: { "content-type": "application/json" },
      body: "{}",
      timeoutMs: this.#timeoutMs,
    });
    if (response.status === 200) return "cancelled";
    if (response.status === 409) return "too-late";
    if (response.status === 504) throw new DaprTimeoutError(`${this.#appId} did not answer the shipment cancellation in time`);
    throw new DaprUnavailableError(`${this.#appId} answered the shipment cancellation with ${response.status}`);
  }
}
