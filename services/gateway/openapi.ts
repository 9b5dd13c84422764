/**
 * The OpenAPI 3.1 description of the public API (GET /openapi.json), built
 * from the contract's operations and the very JSON Schemas the services
 * validate requests with, so the description cannot drift from what is
 * enforced and answered (tests/unit/gateway/openapi.test.ts holds the
 * services' routers to it).
 */
import { answersOf, GATEWAY_OPERATIONS, PROBLEM_SCHEMA, SCHEMAS } from "../contracts/api/operations.ts";
import type { Answer, Operation } from "../contracts/api/operations.ts";
import type { JsonSchema } from "../kit/validation.ts";

/** A schema as a component: JSON Schema's $id names it, and the component's name does that here. */
function component(schema: JsonSchema): JsonSchema {
  const { $id: _id, ...rest } = schema;
  return rest;
}

/** The request body schemas by component name: the same objects the services validate with. */
export const REQUEST_SCHEMAS: Record<string, JsonSchema> = Object.fromEntries(
  GATEWAY_OPERATIONS.flatMap((operation) => (operation.body ? [[operation.body, SCHEMAS[operation.body]!]] : [])),
);

function response(status: string, answer: Answer): Record<string, unknown> {
  const content = Number(status) >= 400
    ? { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } }
    : answer.schema
      ? { [answer.mediaType ?? "application/json"]: { schema: answer.schema } }
      : undefined;
  return { description: answer.description, ...(content ? { content } : {}), ...(answer.headers ? { headers: answer.headers } : {}) };
}

function operationObject(operation: Operation): Record<string, unknown> {
  const answers = answersOf(operation);
  return {
    summary: operation.summary,
    operationId: `${operation.method}${operation.path.replace(/\{(\w+)\}/g, "By_$1").replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase())}`,
    "x-service": operation.service,
    // Public: no credentials. Otherwise an API key or a bearer token, for the roles named.
    security: operation.access === "public" ? [] : [{ apiKey: [] }, { bearer: [] }],
    ...(operation.access === "public" ? {} : { "x-roles": operation.access.roles }),
    ...(operation.parameters ? { parameters: operation.parameters } : {}),
    ...(operation.body ? { requestBody: { required: true, content: { "application/json": { schema: { $ref: `#/components/schemas/${operation.body}` }, ...(operation.example ? { example: operation.example } : {}) } } } } : {}),
    responses: Object.fromEntries(Object.entries(answers).map(([status, answer]) => [status, response(status, answer)])),
  };
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of GATEWAY_OPERATIONS) {
    paths[operation.path] = { ...paths[operation.path], [operation.method]: operationObject(operation) };
  }
  paths["/health"] = { get: { summary: "The gateway, every service and every sidecar", security: [], responses: { "200": { description: "All up" }, "503": { description: "Degraded" } } } };
  paths["/metrics"] = { get: { summary: "Prometheus metrics", security: [], responses: { "200": { description: "Text exposition format" } } } };
  return {
    openapi: "3.1.0",
    info: {
      title: "Logistics platform API",
      version: "1.0.0",
      description: "Orders, inventory, payments, shipments and notifications, through the gateway. Errors are RFC 9457 problem details.",
    },
    servers: [{ url: "/" }],
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    paths,
    security: [{ apiKey: [] }, { bearer: [] }],
    components: {
      securitySchemes: {
        apiKey: { type: "apiKey", in: "header", name: "x-api-key", description: "An API key (machines); the gateway keeps only its hash" },
        bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "An OIDC access token from the configured issuer, with roles in its roles claim" },
      },
      schemas: { ...Object.fromEntries(Object.entries(SCHEMAS).map(([name, schema]) => [name, component(schema)])), Problem: PROBLEM_SCHEMA } },
  };
}
