/**
 * The events the order service reacts to: the saga's answers (stock,
 * payment, shipment) move the order through its status machine, and its own
 * events keep the list indexes up to date.
 */
import type {
  InventoryRejectedData,
  InventoryReservedData,
  OrderCreatedData,
  OrderStatusChangedData,
  PaymentOutcomeData,
  ShipmentCreatedData,
  ShipmentStatusChangedData,
} from "../contracts/events.ts";
import {
  inventoryRejectedSchema,
  inventoryReservedSchema,
  orderCreatedSchema,
  orderStatusChangedSchema,
  paymentOutcomeSchema,
  shipmentCreatedSchema,
  shipmentStatusChangedSchema,
  Topics,
} from "../contracts/events.ts";
import type { CloudEvent } from "../kit/dapr/cloudevents.ts";
import { eventData, NotYetApplicableError, PoisonEventError } from "../kit/dapr/subscriptions.ts";
import type { EventHandler, SubscriptionSpec } from "../kit/dapr/subscriptions.ts";
import type { Decision, StoredOrder } from "./domain.ts";
import { onPaymentCaptured, onPaymentDeclined, onShipmentCreated, onShipmentStatus, onStockRejected, onStockReserved } from "./domain.ts";
import type { OrderStore } from "./store.ts";

/** A handler that reads the event's data and applies the domain's decision to its order. */
function applying<T extends { order_id: string }>(
  orders: OrderStore,
  read: (event: CloudEvent) => T,
  decide: (order: StoredOrder, data: T, now: Date) => Decision,
  now: () => Date,
): EventHandler {
  return async (event, log) => {
    const data = read(event);
    const result = await orders.change(data.order_id, (order) => decide(order, data, now()));
    if (!result) throw new PoisonEventError(`${event.type} for unknown order ${data.order_id}`);
    const { decision } = result;
    if (decision.kind === "wait") throw new NotYetApplicableError(decision.why);
    log.info({ order_id: data.order_id, status: result.order.status, decision: decision.kind, ...(decision.kind === "ignore" ? { why: decision.why } : {}) }, "order event applied");
  };
}

export function orderSubscriptions(orders: OrderStore, now: () => Date = () => new Date()): SubscriptionSpec[] {
  const reserved = eventData<InventoryReservedData>("inventory.reserved", inventoryReservedSchema);
  const rejected = eventData<InventoryRejectedData>("inventory.rejected", inventoryRejectedSchema);
  const payment = eventData<PaymentOutcomeData>("payment", paymentOutcomeSchema);
  const shipmentCreated = eventData<ShipmentCreatedData>("shipment.created", shipmentCreatedSchema);
  const shipmentStatus = eventData<ShipmentStatusChangedData>("shipment.status_changed", shipmentStatusChangedSchema);
  const created = eventData<OrderCreatedData>("order.created", orderCreatedSchema);
  const statusChanged = eventData<OrderStatusChangedData>("order.status_changed", orderStatusChangedSchema);
  const reindex: (read: (event: CloudEvent) => { order_id: string }) => EventHandler = (read) => async (event) => {
    await orders.reindex(read(event).order_id);
  };
  return [
    {
      topic: Topics.inventory,
      handlers: {
        "inventory.reserved": applying(orders, reserved, (order, data, at) => onStockReserved(order, data, at), now),
        "inventory.rejected": applying(orders, rejected, (order, data, at) => onStockRejected(order, data.reason, at), now),
      },
    },
    {
      topic: Topics.payments,
      handlers: {
        "payment.captured": applying(orders, payment, (order, data, at) => onPaymentCaptured(order, data.payment_id, at), now),
        "payment.declined": applying(orders, payment, (order, data, at) => onPaymentDeclined(order, data.payment_id, at), now),
      },
    },
    {
      topic: Topics.shipments,
      handlers: {
        "shipment.created": applying(orders, shipmentCreated, (order, data, at) => onShipmentCreated(order, data, at), now),
        "shipment.status_changed": applying(orders, shipmentStatus, (order, data, at) => onShipmentStatus(order, data.status, at), now),
      },
    },
    {
      // The service's own events keep its list indexes in step with the orders.
      topic: Topics.orders,
      handlers: {
        "order.created": reindex(created),
        "order.status_changed": reindex(statusChanged),
      },
    },
  ];
}
