/** The problem types the order service answers with, besides the kit's. */
import type { ProblemType } from "../kit/http/problems.ts";

export const OrderProblems = {
  orderNotFound: { type: "order-not-found", title: "Order not found", status: 404 },
  idempotencyKeyReused: {
    type: "idempotency-key-reused",
    title: "Idempotency-Key already used for another request",
    status: 409,
  },
  invalidIdempotencyKey: { type: "invalid-idempotency-key", title: "Invalid Idempotency-Key", status: 400 },
  illegalTransition: { type: "illegal-status-transition", title: "The order's status forbids this", status: 409 },
  alreadyPickedUp: { type: "already-picked-up", title: "The parcel has been picked up", status: 409 },
} as const satisfies Record<string, ProblemType>;
