/** The problem types the gateway answers with, besides the kit's. */
import type { ProblemType } from "../kit/http/problems.ts";

export const GatewayProblems = {
  upstreamUnavailable: { type: "upstream-unavailable", title: "A service is unavailable", status: 503 },
  upstreamTimeout: { type: "upstream-timeout", title: "A service did not answer in time", status: 504 },
} as const satisfies Record<string, ProblemType>;
