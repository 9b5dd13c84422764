/**
 * Which operation of the public API a request is, from the contract's own
 * list (contracts/api/operations.ts): the gateway forwards only what the
 * contract documents. A path the API does not have is a 404; a path it has,
 * asked with a method it does not take, a 405 naming the ones it does; a
 * path parameter that breaks its schema in the contract (broken
 * percent-encoding, control characters, characters service invocation
 * cannot carry), a 422 naming it. None of these reaches a service.
 */
import { GATEWAY_OPERATIONS } from "../contracts/api/operations.ts";
import type { Operation } from "../contracts/api/operations.ts";
import { HttpProblem, KitProblems, methodNotAllowed } from "../kit/http/problems.ts";
import type { FieldError } from "../kit/http/problems.ts";
import { schemaCheck } from "../kit/validation.ts";

interface Route {
  operation: Operation;
  /** The template's segments; `{name}` ones are parameters. */
  segments: string[];
}

export interface Matched {
  operation: Operation;
  /** The path parameters, decoded. */
  params: Record<string, string>;
}

/** A path segment decoded; one that is not valid percent-encoding stays as it came (and breaks every parameter's pattern). */
function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Each operation's path parameters checked against their schemas in the contract, compiled once. */
const parameterChecks = new WeakMap<Operation, (params: Record<string, string>) => FieldError[]>();

/** The path parameters of a matched call that break their schema, as field errors. */
export function parameterErrors(matched: Matched): FieldError[] {
  let check = parameterChecks.get(matched.operation);
  if (!check) {
    const inPath = (matched.operation.parameters ?? []).filter((p) => p.in === "path");
    check = schemaCheck({ type: "object", properties: Object.fromEntries(inPath.map((p) => [p.name, p.schema])) });
    parameterChecks.set(matched.operation, check);
  }
  return check(matched.params);
}

export class Routes {
  readonly #routes: Route[];

  constructor(operations: Operation[] = GATEWAY_OPERATIONS) {
    this.#routes = operations.map((operation) => ({ operation, segments: operation.path.split("/").slice(1) }));
  }

  /**
   * The operation `method` `path` asks for, or an HttpProblem: 404 for a
   * path the API does not have, 405 (with the methods it takes) for one it
   * has. HEAD is GET without a body.
   */
  match(method: string, path: string): Matched {
    const raw = path.split("/").slice(1);
    const wanted = (method === "HEAD" ? "GET" : method).toLowerCase();
    for (const route of this.#routes) {
      const params = this.#params(route, raw);
      if (params && route.operation.method === wanted) return { operation: route.operation, params };
    }
    const allowed = this.methods(path);
    if (allowed.length === 0) throw new HttpProblem(KitProblems.notFound, `No resource at ${path}`);
    throw methodNotAllowed(path, allowed);
  }

  /** The methods `path` takes (HEAD wherever GET is); none for a path the API does not have. */
  methods(path: string): string[] {
    const raw = path.split("/").slice(1);
    const allowed = this.#routes.filter((route) => this.#params(route, raw)).map((route) => route.operation.method.toUpperCase());
    if (allowed.includes("GET")) allowed.push("HEAD");
    return allowed;
  }

  #params(route: Route, raw: string[]): Record<string, string> | undefined {
    if (raw.length !== route.segments.length) return undefined;
    const params: Record<string, string> = {};
    for (const [i, segment] of route.segments.entries()) {
      const given = raw[i]!;
      if (segment.startsWith("{")) {
        // An empty segment (a trailing slash) is a path the API does not have.
        if (given === "") return undefined;
        params[segment.slice(1, -1)] = decode(given);
      } else if (given !== segment) {
        return undefined;
      }
    }
    return params;
  }
}
