/**
 * RFC 9457 problem details. HttpProblem is the one error type that becomes an
 * HTTP answer; the error handler in app.ts renders it as
 * application/problem+json. Anything else becomes a 500 that leaks nothing.
 */

/** One rule broken by one field of a request body or query. */
export interface FieldError {
  field: string;
  message: string;
}

/** The body of an application/problem+json answer. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** A kind of problem: its type URI suffix, title and HTTP status. */
export interface ProblemType {
  type: string;
  title: string;
  status: number;
}

const TYPE_BASE = "https://logistics.example/problems/";

/** The problem types the kit itself raises; services add theirs in errors.ts. */
export const KitProblems = {
  malformedJson: { type: "malformed-json", title: "Malformed JSON", status: 400 },
  validation: { type: "validation-failed", title: "The request breaks the rules", status: 422 },
  unsupportedMediaType: { type: "unsupported-media-type", title: "Unsupported media type", status: 415 },
  payloadTooLarge: { type: "payload-too-large", title: "Request body too large", status: 413 },
  headersTooLarge: { type: "headers-too-large", title: "Request header fields too large", status: 431 },
  requestTimeout: { type: "request-timeout", title: "The request did not arrive in time", status: 408 },
  badRequest: { type: "bad-request", title: "Not an HTTP request this server can read", status: 400 },
  notFound: { type: "not-found", title: "Not found", status: 404 },
  methodNotAllowed: { type: "method-not-allowed", title: "Method not allowed", status: 405 },
  conflict: { type: "conflict", title: "Conflict", status: 409 },
  unauthorized: { type: "unauthorized", title: "Missing or wrong API token", status: 401 },
  busy: { type: "busy", title: "The resource is busy", status: 503 },
  dependencyTimeout: { type: "dependency-timeout", title: "A dependency did not answer in time", status: 504 },
  unavailable: { type: "dependency-unavailable", title: "A dependency is unavailable", status: 503 },
  badGateway: { type: "bad-gateway", title: "An upstream service failed", status: 502 },
  internal: { type: "internal-error", title: "Internal error", status: 500 },
} as const satisfies Record<string, ProblemType>;

/** An error that is rendered to the client as problem+json. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly extensions: Record<string, unknown>;
  /** Response headers the answer carries (Allow for a 405, WWW-Authenticate for a 401, ...). */
  readonly headers: Record<string, string>;
  /** Problems are meant for the client; Koa reads this flag. */
  readonly expose = true;

  constructor(
    kind: ProblemType,
    detail?: string,
    options: { errors?: FieldError[]; extensions?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(detail ?? kind.title, { cause: options.cause });
    this.name = "HttpProblem";
    this.status = kind.status;
    this.type = kind.type.includes(":") ? kind.type : TYPE_BASE + kind.type;
    this.title = kind.title;
    this.detail = detail;
    this.errors = options.errors;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  /** The problem document for an answer to the request at `instance`. */
  toDocument(instance?: string): ProblemDocument {
    const doc: ProblemDocument = { ...this.extensions, type: this.type, title: this.title, status: this.status };
    if (this.detail !== undefined) doc.detail = this.detail;
    if (instance !== undefined) doc.instance = instance;
    if (this.errors !== undefined) doc.errors = this.errors;
    return doc;
  }
}

/** A 422 naming every bad field. */
export function validationProblem(errors: FieldError[]): HttpProblem {
  const fields = errors.map((e) => e.field).join(", ");
  return new HttpProblem(KitProblems.validation, `Invalid fields: ${fields}`, { errors });
}

/** 405 for `path`, naming in Allow the methods it takes. */
export function methodNotAllowed(path: string, allowed: string[]): HttpProblem {
  return new HttpProblem(KitProblems.methodNotAllowed, `${path} takes ${allowed.join(", ")}`, { headers: { Allow: allowed.join(", ") } });
}
