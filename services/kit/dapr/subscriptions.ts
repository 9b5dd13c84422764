/**
 * Programmatic subscriptions served by the Koa app itself: GET /dapr/subscribe
 * lists them, and each delivery is answered with Dapr's SUCCESS, RETRY or DROP
 * on purpose. Every subscription has a dead-letter topic, and each CloudEvent
 * id is applied at most once (event-claims.ts).
 */
import Router from "@koa/router";
import { Counter } from "prom-client";
import type { Registry } from "prom-client";
import type { Context } from "koa";
import type { Logger } from "../logger.ts";
import { continueTrace, withTrace } from "../trace-context.ts";
import { MalformedEventError, parseCloudEvent } from "./cloudevents.ts";
import type { CloudEvent } from "./cloudevents.ts";
import { EtagMismatchError } from "./errors.ts";
import { applyOperations, EventClaims } from "./event-claims.ts";
import type { Claim } from "./event-claims.ts";
import type { StateOperation, StateStore } from "./ports.ts";

/** Thrown by a handler for an event that can never be applied: it goes to the dead-letter topic. */
export class PoisonEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PoisonEventError";
  }
}

/** What a handler gives back: state changes to commit with the event's marker. */
export interface HandlerResult {
  operations?: StateOperation[];
}

export type EventHandler = (event: CloudEvent, log: Logger) => Promise<HandlerResult | void>;

export interface SubscriptionSpec {
  topic: string;
  /** Handlers by CloudEvent type; deliveries of other types are acknowledged and ignored. */
  handlers: Record<string, EventHandler>;
  /** Defaults to `<topic>-dead-letter`. */
  deadLetterTopic?: string;
}

export interface SubscriptionOptions {
  pubsubName: string;
  /** Where handlers' changes and applied-event markers are written. */
  store: StateStore;
  logger: Logger;
  /** How long markers are kept; redeliveries later than this are not recognised. */
  markerTtlSeconds?: number;
  /** How long a claim holds before another delivery may take the event over. */
  claimLeaseMs?: number;
  now?: () => number;
  /** Where to count deliveries by outcome (dapr_events_total). */
  registry?: Registry;
}

type DaprStatus = "SUCCESS" | "RETRY" | "DROP";
type Outcome = "applied" | "duplicate" | "busy" | "failed" | "dropped";

/** How each outcome is answered to Dapr. */
const STATUS_OF: Record<Outcome, DaprStatus> = {
  applied: "SUCCESS",
  duplicate: "SUCCESS",
  busy: "RETRY",
  failed: "RETRY",
  dropped: "DROP",
};

const DEFAULT_MARKER_TTL_SECONDS = 7 * 24 * 3600;
const DEFAULT_CLAIM_LEASE_MS = 60_000;

/** Stands for every event type without a handler of its own. */
const OTHER_TYPES = "";

function routePath(topic: string, type: string): string {
  return `/dapr/events/${encodeURIComponent(topic)}/${type === OTHER_TYPES ? "_other" : encodeURIComponent(type)}`;
}

function cel(value: string): string {
  return JSON.stringify(value);
}

/** The body of GET /dapr/subscribe for these subscriptions. */
export function subscriptionDocument(pubsubName: string, specs: SubscriptionSpec[]) {
  return specs.map((spec) => ({
    pubsubname: pubsubName,
    topic: spec.topic,
    routes: {
      rules: Object.keys(spec.handlers).map((type) => ({ match: `event.type == ${cel(type)}`, path: routePath(spec.topic, type) })),
      default: routePath(spec.topic, OTHER_TYPES),
    },
    deadLetterTopic: spec.deadLetterTopic ?? `${spec.topic}-dead-letter`,
  }));
}

/** A router serving /dapr/subscribe and the delivery routes of `specs`. */
export function subscriptionRouter(specs: SubscriptionSpec[], options: SubscriptionOptions): Router {
  const router = new Router();
  const claims = new EventClaims(options.store, {
    leaseMs: options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS,
    ttlSeconds: options.markerTtlSeconds ?? DEFAULT_MARKER_TTL_SECONDS,
    now: options.now ?? Date.now,
  });
  const deliveries = new Counter({
    name: "dapr_events_total",
    help: "Event deliveries by topic, type and outcome (applied, duplicate, busy, failed, dropped, ignored)",
    labelNames: ["topic", "type", "outcome"] as const,
    registers: options.registry ? [options.registry] : [],
  });

  router.get("/dapr/subscribe", (ctx) => {
    ctx.body = subscriptionDocument(options.pubsubName, specs);
  });

  for (const spec of specs) {
    router.post(routePath(spec.topic, OTHER_TYPES), (ctx) => {
      // Events of types this app does not handle share the topic: acknowledge them.
      deliveries.inc({ topic: spec.topic, type: "other", outcome: "ignored" });
      answer(ctx, "SUCCESS");
    });
    for (const [type, handler] of Object.entries(spec.handlers)) {
      router.post(routePath(spec.topic, type), async (ctx) => {
        let event: CloudEvent;
        try {
          event = parseCloudEvent((ctx.request as { body?: unknown }).body);
        } catch (err) {
          options.logger.warn({ topic: spec.topic, err: (err as Error).message }, "dropping malformed delivery");
          deliveries.inc({ topic: spec.topic, type, outcome: "dropped" });
          return answer(ctx, "DROP");
        }
        // Dapr's outbox leaves traceparent empty and carries the trace in traceid.
        const traceparent = [event.traceparent, event.traceid, ctx.get("traceparent")].find((t) => t) ?? undefined;
        const trace = continueTrace(traceparent, event.tracestate);
        const log = options.logger.child({ event_id: event.id, event_type: event.type, topic: spec.topic, trace_id: trace.traceId });
        const outcome = await withTrace(trace, () => deliver(event, handler, spec.topic, log));
        deliveries.inc({ topic: spec.topic, type, outcome });
        answer(ctx, STATUS_OF[outcome]);
      });
    }
  }

  async function deliver(event: CloudEvent, handler: EventHandler, topic: string, log: Logger): Promise<Outcome> {
    let claim: Claim;
    try {
      claim = await claims.claim(topic, event);
    } catch (err) {
      log.warn({ err: (err as Error).message }, "cannot claim the event; asking for redelivery");
      return "failed";
    }
    if (claim.outcome === "applied") {
      log.info("duplicate delivery ignored");
      return "duplicate";
    }
    if (claim.outcome === "busy") {
      log.info("another delivery of this event is at work; asking for redelivery");
      return "busy";
    }
    try {
      const result = (await handler(event, log)) ?? {};
      await applyOperations(options.store, result.operations ?? []);
    } catch (err) {
      await claims.release(claim).catch((e: Error) => log.warn({ err: e.message }, "could not release the claim"));
      if (err instanceof PoisonEventError || err instanceof MalformedEventError) {
        log.error({ err: err.message }, "event cannot be applied; dropping it to the dead-letter topic");
        return "dropped";
      }
      if (err instanceof EtagMismatchError) {
        log.warn({ err: err.message }, "a concurrent write won; asking for redelivery");
      } else {
        log.error({ err }, "event failed; asking for redelivery");
      }
      return "failed";
    }
    try {
      await claims.complete(claim);
    } catch (err) {
      // The effect is committed; only the marker is not. A redelivery would
      // meet the handler's own idempotency.
      log.warn({ err: (err as Error).message }, "applied, but the marker was not updated");
    }
    log.info("event applied");
    return "applied";
  }

  return router;
}

function answer(ctx: Context, status: DaprStatus): void {
  ctx.status = 200;
  ctx.body = { status };
}
