/**
 * Request validation against JSON Schemas (draft 2020-12, as OpenAPI 3.1
 * uses), so the same schema objects can describe the API. A failure is a 422
 * problem with one entry per bad field, named as the client wrote it
 * (`items[0].quantity`).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject } from "ajv";
import addFormats from "ajv-formats";
import type { FieldError } from "./http/problems.ts";
import { validationProblem } from "./http/problems.ts";

export type JsonSchema = Record<string, unknown>;

// multipleOfPrecision: 2194.51 is a multiple of 0.01 although 2194.51 / 0.01
// is 219451.00000000003 in floating point.
const ajv = new Ajv2020({ allErrors: true, strict: true, coerceTypes: false, multipleOfPrecision: 9 });
// ajv-formats is CommonJS: its default export arrives as module or as function.
const applyFormats = ((addFormats as unknown as { default?: unknown }).default ?? addFormats) as (a: Ajv2020, f: string[]) => void;
applyFormats(ajv, ["email", "date", "date-time", "uuid"]);

function fieldName(instancePath: string): string {
  return instancePath
    .split("/")
    .slice(1)
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name ? `${name}.${part}` : part), "");
}

function toFieldError(error: ErrorObject): FieldError {
  const at = fieldName(error.instancePath);
  if (error.keyword === "required") {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return { field: at ? `${at}.${missing}` : missing, message: "is required" };
  }
  if (error.keyword === "additionalProperties") {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return { field: at ? `${at}.${extra}` : extra, message: "is not allowed" };
  }
  return { field: at || "(body)", message: error.message ?? "is invalid" };
}

/** A check of `schema`: the field errors of a value (one per field), none when it is valid. */
export function schemaCheck(schema: JsonSchema): (value: unknown) => FieldError[] {
  const validate = ajv.compile(schema);
  return (value: unknown): FieldError[] => {
    if (validate(value)) return [];
    const seen = new Set<string>();
    return (validate.errors ?? []).map(toFieldError).filter((e) => (seen.has(e.field) ? false : (seen.add(e.field), true)));
  };
}

/** A validator for `schema`: returns the value typed as T or throws a 422 problem. */
export function validator<T>(schema: JsonSchema): (value: unknown) => T {
  const check = schemaCheck(schema);
  return (value: unknown): T => {
    const errors = check(value);
    if (errors.length > 0) throw validationProblem(errors);
    return value as T;
  };
}
