import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import { itemInputSchema, restockSchema } from "../../../services/contracts/api/inventory.ts";
import { newOrderSchema, statusUpdateSchema } from "../../../services/contracts/api/orders.ts";
import { positionSchema, scanSchema, shipmentSchema, trackingSchema } from "../../../services/contracts/api/shipments.ts";
import { openApiDocument, REQUEST_SCHEMAS } from "../../../services/gateway/openapi.ts";
import { schemaCheck } from "../../../services/kit/validation.ts";
import { compose, publicNotification, sentNotification } from "../../../services/notification/domain.ts";
import { notificationSchema } from "../../../services/contracts/api/notifications.ts";
import { chargeOrder, publicCharge, settleEndedOrder } from "../../../services/payment/domain.ts";
import type { Charge, Settlement } from "../../../services/payment/domain.ts";
import { paymentSchema } from "../../../services/contracts/api/payments.ts";
import { cancelShipment, createShipment, moveShipment, publicTracking, scanShipment } from "../../../services/tracking/domain.ts";
import { deadLetterDiscardSchema } from "../../../services/kit/events/dead-letters.ts";

type Operation = { requestBody?: { content: Record<string, { schema: { $ref: string } }> } };

describe("OpenAPI document", () => {
  const doc = openApiDocument() as {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, Record<string, unknown>> };
  };

  it("is OpenAPI 3.1 and describes the request bodies with the very schemas the services validate with", () => {
    expect(doc.openapi).to.equal("3.1.0");
    expect(REQUEST_SCHEMAS).to.deep.equal({
      NewOrder: newOrderSchema,
      OrderStatusUpdate: statusUpdateSchema,
      StockItemInput: itemInputSchema,
      Restock: restockSchema,
      ShipmentScan: scanSchema,
      ShipmentPosition: positionSchema,
      DeadLetterDiscard: deadLetterDiscardSchema,
    });
    for (const [name, schema] of Object.entries(REQUEST_SCHEMAS)) {
      const { $id: _id, ...withoutId } = schema;
      expect(doc.components.schemas[name], name).to.deep.equal(withoutId);
    }
  });

  it("describes payments, shipments, tracking and notifications as the services make and answer them", () => {
    const now = new Date("2026-05-04T10:00:00Z");
    const later = new Date("2026-05-04T12:00:00Z");
    const schemas = { Payment: paymentSchema, Shipment: shipmentSchema, Tracking: trackingSchema, Notification: notificationSchema };
    for (const [name, schema] of Object.entries(schemas)) {
      const { $id: _id, ...withoutId } = schema;
      expect(doc.components.schemas[name], name).to.deep.equal(withoutId);
    }
    const payment = schemaCheck(paymentSchema);
    const shipment = schemaCheck(shipmentSchema);
    const tracking = schemaCheck(trackingSchema);
    const notification = schemaCheck(notificationSchema);

    const chargeOf = (settlement: Settlement): Charge => {
      if (settlement.kind === "nothing") throw new Error("nothing was settled");
      return settlement.charge;
    };
    const declined = chargeOrder("o-1", 12.5, "EUR", "tok_declined", "pay-1", now);
    const captured = chargeOrder("o-2", 12.5, "EUR", undefined, "pay-2", now);
    const refunded = chargeOf(settleEndedOrder(captured, "o-2", "pay-3", "EUR", later));
    const tombstone = chargeOf(settleEndedOrder(undefined, "o-3", "pay-4", "EUR", later));
    for (const charge of [declined, captured, refunded, tombstone]) {
      expect(payment(publicCharge(charge)), charge.status).to.deep.equal([]);
    }
    // The tombstone flag is bookkeeping, not part of the answer.
    expect(payment(tombstone)).to.deep.equal([{ field: "tombstone", message: "is not allowed" }]);

    const created = createShipment(
      { order_id: "o-2", origin_address: "Dock 4, Rotterdam", destination_address: "1 Main St, Utrecht" },
      { shipment_id: "s-1", tracking_number: "LGX0123456789", courier: "fastlane" },
      now,
    );
    const moving = moveShipment(scanShipment(created, { status: "picked_up", location: "Rotterdam hub", note: "two parcels" }, later), { lat: 52.1, lon: 5.1, description: "A12" }, later);
    const cancelled = cancelShipment(created, later);
    for (const s of [created, moving, cancelled]) {
      expect(shipment(s), s.status).to.deep.equal([]);
      expect(tracking(publicTracking(s)), s.status).to.deep.equal([]);
    }

    const message = compose("order_shipped", { order_id: "o-2", customer_name: "Ada", customer_email: "ada@example.com", tracking_number: "LGX0123456789" });
    const sent = sentNotification(message, "o-2", "n-1", "event-1", now);
    expect(notification(publicNotification(sent))).to.deep.equal([]);
    // What the log keeps for itself is not part of the answer.
    expect(notification(sent)).to.deep.equal([{ field: "event_id", message: "is not allowed" }]);
  });

  it("refers only to schemas it defines, and every one of them is valid JSON Schema 2020-12", () => {
    const refs = JSON.stringify(doc.paths).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
    for (const ref of new Set(refs)) expect(doc.components.schemas, ref).to.have.property(ref.split("/").pop()!);
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    for (const [name, schema] of Object.entries(doc.components.schemas)) {
      expect(() => ajv.compile(schema), name).to.not.throw();
    }
  });

  it("describes every body-taking operation of the public API with a request schema", () => {
    const withBodies = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method, op]) => ["post", "put"].includes(method) && op.requestBody)
        .map(([method, op]) => `${method.toUpperCase()} ${path} ${op.requestBody!.content["application/json"]!.schema.$ref.split("/").pop()}`),
    );
    expect(withBodies).to.have.members([
      "POST /api/v1/orders NewOrder",
      "PUT /api/v1/orders/{id}/status OrderStatusUpdate",
      "PUT /api/v1/inventory/{sku} StockItemInput",
      "POST /api/v1/inventory/{sku}/restock Restock",
      "POST /api/v1/shipments/{id}/events ShipmentScan",
      "POST /api/v1/shipments/{id}/locations ShipmentPosition",
    ]);
  });
});
