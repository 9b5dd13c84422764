/**
 * Programmatic subscriptions served by the Koa app itself: GET /dapr/subscribe
 * lists them, and each delivery is answered with Dapr's SUCCESS, RETRY or DROP
 * on purpose. Each CloudEvent id is applied at most once (event-claims.ts).
 * Every subscription has a dead-letter topic of its own app
 * (`<app>-<topic>-dead-letter`); the app subscribes to it too and keeps the
 * latest dead letters for operators (dead-letters.ts).
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
import { DeadLetters } from "./dead-letters.ts";
import { EventClaims } from "./event-claims.ts";
import type { Claim } from "./event-claims.ts";
import { LockBusyError } from "./locks.ts";
import type { KeyLocks } from "./locks.ts";
import type { StateStore } from "./ports.ts";
import { schemaCheck } from "../validation.ts";
import type { JsonSchema } from "../validation.ts";

/** Thrown by a handler for an event that can never be applied: it goes to the dead-letter topic. */
export class PoisonEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PoisonEventError";
  }
}

/**
 * Thrown by a handler for an event that arrived before what it builds on
 * (a payment for an order not yet reserved, say): it is delivered again later.
 */
export class NotYetApplicableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotYetApplicableError";
  }
}

/** A reader of event data that checks it against `schema`; data that breaks it makes the event poison. */
export function eventData<T>(type: string, schema: JsonSchema): (event: CloudEvent) => T {
  const check = schemaCheck(schema);
  return (event: CloudEvent): T => {
    const errors = check(event.data);
    if (errors.length > 0) throw new PoisonEventError(`${type} data: ${errors.map((e) => `${e.field} ${e.message}`).join("; ")}`);
    return event.data as T;
  };
}

/**
 * Applies one event: commits its state changes (with the events they cause)
 * itself. Throwing PoisonEventError drops the event to the dead-letter topic;
 * any other error asks for redelivery.
 */
export type EventHandler = (event: CloudEvent, log: Logger) => Promise<void>;

export interface SubscriptionSpec {
  topic: string;
  /** Handlers by CloudEvent type; deliveries of other types are acknowledged and ignored. */
  handlers: Record<string, EventHandler>;
}

export interface SubscriptionOptions {
  appId: string;
  pubsubName: string;
  /** Where applied-event markers and dead letters are kept. */
  store: StateStore;
  locks: KeyLocks;
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

/** The dead-letter topic of `appId`'s subscription to `topic`. */
export function deadLetterTopic(appId: string, topic: string): string {
  return `${appId}-${topic}-dead-letter`;
}

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

function deadLetterPath(topic: string): string {
  return `/dapr/dead-letters/${encodeURIComponent(topic)}`;
}

/** The body of GET /dapr/subscribe: the subscriptions, then their dead-letter topics. */
export function subscriptionDocument(appId: string, pubsubName: string, specs: SubscriptionSpec[]) {
  const topics = specs.map((spec) => ({
    pubsubname: pubsubName,
    topic: spec.topic,
    routes: {
      rules: Object.keys(spec.handlers).map((type) => ({ match: `event.type == ${cel(type)}`, path: routePath(spec.topic, type) })),
      default: routePath(spec.topic, OTHER_TYPES),
    },
    deadLetterTopic: deadLetterTopic(appId, spec.topic),
  }));
  const deadLetters = specs.map((spec) => ({
    pubsubname: pubsubName,
    topic: deadLetterTopic(appId, spec.topic),
    routes: { default: deadLetterPath(spec.topic) },
  }));
  return [...topics, ...deadLetters];
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

  const deadLetters = new DeadLetters(options.store, options.locks);

  router.get("/dapr/subscribe", (ctx) => {
    ctx.body = subscriptionDocument(options.appId, options.pubsubName, specs);
  });

  router.get("/dead-letters", async (ctx) => {
    ctx.body = await deadLetters.list(specs.map((spec) => deadLetterTopic(options.appId, spec.topic)));
  });

  for (const spec of specs) {
    router.post(deadLetterPath(spec.topic), async (ctx) => {
      const topic = deadLetterTopic(options.appId, spec.topic);
      try {
        await deadLetters.record(topic, (ctx.request as { body?: unknown }).body, (options.now ?? Date.now)());
        options.logger.warn({ topic }, "event parked in the dead-letter topic");
        deliveries.inc({ topic, type: "dead-letter", outcome: "applied" });
        answer(ctx, "SUCCESS");
      } catch (err) {
        options.logger.warn({ topic, err: (err as Error).message }, "could not record a dead letter; asking for redelivery");
        answer(ctx, "RETRY");
      }
    });
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
      await handler(event, log);
    } catch (err) {
      await claims.release(claim).catch((e: Error) => log.warn({ err: e.message }, "could not release the claim"));
      if (err instanceof PoisonEventError || err instanceof MalformedEventError) {
        log.error({ err: err.message }, "event cannot be applied; dropping it to the dead-letter topic");
        return "dropped";
      }
      if (err instanceof EtagMismatchError || err instanceof LockBusyError) {
        log.warn({ err: err.message }, "a concurrent write is at work; asking for redelivery");
        return "busy";
      }
      if (err instanceof NotYetApplicableError) {
        log.info({ reason: err.message }, "event came early; asking for redelivery");
        return "busy";
      }
      log.error({ err }, "event failed; asking for redelivery");
      return "failed";
    }
    try {
      await claims.complete(claim);
    } catch (err) {
      // The effect is committed; only the marker is not. A redelivery meets
      // the handler's own idempotency by business key.
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
