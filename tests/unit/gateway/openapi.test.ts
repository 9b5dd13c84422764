import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "chai";
import { itemInputSchema, restockSchema } from "../../../services/inventory/schemas.ts";
import { newOrderSchema, statusUpdateSchema } from "../../../services/order/schemas.ts";
import { positionSchema, scanSchema } from "../../../services/tracking/schemas.ts";
import { openApiDocument, REQUEST_SCHEMAS } from "../../../services/gateway/openapi.ts";

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
    });
    for (const [name, schema] of Object.entries(REQUEST_SCHEMAS)) {
      const { $id: _id, ...withoutId } = schema;
      expect(doc.components.schemas[name], name).to.deep.equal(withoutId);
    }
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
