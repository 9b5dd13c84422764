/**
 * Which operation of the public API a request is, from the contract's own
 * list (contracts/api/operations.ts): the gateway forwards only what the
 * contract documents. A path the API does not have is a 404; a path it has,
 * asked with a method it does not take, a 405 naming the ones it does; a
 * path segment that is not valid percent-encoding, or holds control
 * characters, a 404. None of these reaches a service.
 */
import { GATEWAY_OPERATIONS } from "../contracts/api/operations.ts";
import type { Operation } from "../contracts/api/operations.ts";
import { HttpProblem, KitProblems } from "../kit/http/problems.ts";

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

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function decode(segment: string): string | undefined {
  try {
    const decoded = decodeURIComponent(segment);
    return decoded === "" || CONTROL.test(decoded) ? undefined : decoded;
  } catch {
    return undefined;
  }
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
    throw new HttpProblem(KitProblems.methodNotAllowed, `${path} takes ${allowed.join(", ")}`, { headers: { Allow: allowed.join(", ") } });
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
        const value = decode(given);
        if (value === undefined) return undefined;
        params[segment.slice(1, -1)] = value;
      } else if (given !== segment) {
        return undefined;
      }
    }
    return params;
  }
}
