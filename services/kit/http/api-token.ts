/**
 * The app API token check: with APP_API_TOKEN set, only the sidecar (which
 * sends it as dapr-api-token) may call the app; probes stay open.
 */
import type { Context, Next } from "koa";
import { PROBES } from "./probes.ts";
import { HttpProblem, KitProblems } from "./problems.ts";

/** Constant-time comparison, so the token check leaks no timing. */
function sameToken(given: string, expected: string): boolean {
  const a = new TextEncoder().encode(given);
  const b = new TextEncoder().encode(expected);
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export function requireApiToken(token: string) {
  return async function checkApiToken(ctx: Context, next: Next): Promise<void> {
    if (!PROBES.has(ctx.path) && !sameToken(ctx.get("dapr-api-token"), token)) {
      throw new HttpProblem(KitProblems.unauthorized, "Calls to this app must carry its dapr-api-token");
    }
    await next();
  };
}
