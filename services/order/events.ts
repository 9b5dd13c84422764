/**
 * The events the order service reacts to: the saga's answers (stock,
 * payment, shipment) move the order through its status machine, and its own
 * events keep the list indexes up to date.
 */
import { EVENTS } from "../contracts/events.ts";
import type { EventMap } from "../contracts/events.ts";
import type { CloudEvent } from "../kit/events/cloudevents.ts";
import { subscriptionsFor } from "../kit/events/handlers.ts";
import type { EventHandler, SubscriptionSpec } from "../kit/events/handlers.ts";
import { NotYetApplicableError, PoisonEventError } from "../kit/failures.ts";
import type { Decision, DeferredEvent, StoredOrder } from "./domain.ts";
import { applyInOrder, onPaymentCaptured, onPaymentDeclined, onShipmentCreated, onShipmentStatus, onStockRejected, onStockReserved } from "./domain.ts";
import type { OrderStore } from "./store.ts";

export function orderSubscriptions(orders: OrderStore, now: () => Date = () => new Date()): SubscriptionSpec[] {
  /**
   * A handler that applies the domain's decision to the event's order; an
   * event that came early is kept on the order when `deferrable` says how.
   */
  function applying<T extends { order_id: string }>(
    decide: (order: StoredOrder, data: T, now: Date) => Decision,
    deferrable?: (data: T) => DeferredEvent,
  ): EventHandler<T> {
    return async (event: CloudEvent<T>, log) => {
      const data = event.data;
      const at = now();
      const result = await orders.change(data.order_id, (order) => applyInOrder(order, (o) => decide(o, data, at), deferrable?.(data), at));
      if (!result) throw new PoisonEventError(`${event.type} for unknown order ${data.order_id}`);
      const { decision } = result;
      if (decision.kind === "wait") throw new NotYetApplicableError(decision.why);
      log.info({ order_id: data.order_id, status: result.order.status, decision: decision.kind, ...(decision.kind === "ignore" ? { why: decision.why } : {}) }, "order event applied");
    };
  }
  // The service's own events keep its list indexes in step with the orders.
  const reindex: EventHandler<{ order_id: string }> = async (event) => {
    await orders.reindex(event.data.order_id);
  };
  return subscriptionsFor<EventMap>(EVENTS, {
    "inventory.reserved": applying((order, data, at) => onStockReserved(order, data, at)),
    "inventory.rejected": applying((order, data, at) => onStockRejected(order, data.reason, at)),
    "payment.captured": applying(
      (order, data, at) => onPaymentCaptured(order, data.payment_id, at),
      (data) => ({ type: "payment.captured", payment_id: data.payment_id }),
    ),
    "payment.declined": applying(
      (order, data, at) => onPaymentDeclined(order, data.payment_id, at),
      (data) => ({ type: "payment.declined", payment_id: data.payment_id }),
    ),
    "shipment.created": applying((order, data, at) => onShipmentCreated(order, data, at)),
    "shipment.status_changed": applying(
      (order, data, at) => onShipmentStatus(order, data.status, at),
      (data) => ({ type: "shipment.status_changed", status: data.status }),
    ),
    "order.created": reindex,
    "order.status_changed": reindex,
  });
}
