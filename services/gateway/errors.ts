/** The problem types the gateway answers with, besides the kit's. */
import type { ProblemType } from "../kit/http/problems.ts";

export const GatewayProblems = {
  upstreamUnavailable: { type: "upstream-unavailable", title: "A service is unavailable", status: 503 },
  upstreamTimeout: { type: "upstream-timeout", title: "A service did not answer in time", status: 504 },
  unauthenticated: { type: "unauthenticated", title: "Credentials are missing or wrong", status: 401 },
  forbidden: { type: "forbidden", title: "Not allowed for this caller", status: 403 },
  tooManyRequests: { type: "too-many-requests", title: "Too many requests", status: 429 },
} as const satisfies Record<string, ProblemType>;
