/**
 * The one error handler: renders every failure below it as problem+json,
 * by the kit's failure classification (failures.ts). A 5xx never leaks
 * internals; an unexpected error is logged with its stack.
 */
import type { Context, Next } from "koa";
import { classifyFailure } from "../failures.ts";
import { HttpProblem, KitProblems } from "./problems.ts";
import { requestLog } from "./request-context.ts";

function render(ctx: Context, problem: HttpProblem): void {
  ctx.status = problem.status;
  for (const [name, value] of Object.entries(problem.headers)) ctx.set(name, value);
  ctx.type = "application/problem+json";
  ctx.body = problem.toDocument(ctx.originalUrl);
}

/** The problem a failure is answered with. */
function problemOf(ctx: Context, err: unknown): HttpProblem {
  switch (classifyFailure(err)) {
    case "problem": {
      if (err instanceof HttpProblem) return err;
      // Koa's own client errors (ctx.throw(4xx)).
      const status = (err as { status: number }).status;
      return new HttpProblem({ type: `http-${status}`, title: (err as Error).message, status });
    }
    case "busy":
      // Another writer holds the same aggregate: nothing was changed; try again.
      ctx.set("Retry-After", "1");
      return new HttpProblem(KitProblems.busy, "The resource is being changed by another request; retry shortly");
    case "unavailable":
      // The call did not get through: nothing changed, so a retry is safe.
      requestLog(ctx).error({ err }, "sidecar unavailable");
      ctx.set("Retry-After", "1");
      return new HttpProblem(KitProblems.unavailable, "A dependency is unavailable; retry shortly");
    case "timeout":
      // The outcome is unknown: not a 503, which callers (and Dapr) retry blindly.
      requestLog(ctx).error({ err }, "dependency timed out");
      return new HttpProblem(KitProblems.dependencyTimeout, "A dependency did not answer in time; the outcome is unknown");
    default:
      requestLog(ctx).error({ err }, "unhandled error");
      return new HttpProblem(KitProblems.internal, "The request could not be completed");
  }
}

export async function renderProblems(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) render(ctx, new HttpProblem(KitProblems.notFound, `No resource at ${ctx.path}`));
  } catch (err) {
    render(ctx, problemOf(ctx, err));
  }
}
