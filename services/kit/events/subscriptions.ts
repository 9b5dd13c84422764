/**
 * Programmatic subscriptions served by the Koa app itself: GET /dapr/subscribe
 * lists them, and each delivery is answered with Dapr's SUCCESS, RETRY or DROP
 * on purpose. Each CloudEvent id is applied at most once (event-claims.ts).
 * Every subscription has a dead-letter topic of its own app
 * (`<app>-<topic>-dead-letter`); the app subscribes to it too and keeps the
 * latest dead letters for operators (dead-letters.ts serves them).
 */
import Router from "@koa/router";
import { Counter, Gauge, Histogram } from "prom-client";
import type { Registry } from "prom-client";
import type { Context } from "koa";
import { EventClaims } from "../coordination/event-claims.ts";
import type { Claim } from "../coordination/event-claims.ts";
import type { KeyLocks } from "../coordination/locks.ts";
import { classifyFailure } from "../failures.ts";
import { registeredOnce } from "../metrics.ts";
import type { Logger } from "../logger.ts";
import type { StateStore } from "../ports/ports.ts";
import { currentTrace, parseTraceparent, SpanKind, startSpan, withTrace } from "../trace-context.ts";
import { parseCloudEvent } from "./cloudevents.ts";
import type { CloudEvent } from "./cloudevents.ts";
import { deadLetterTopic } from "./handlers.ts";
import type { EventHandler, SubscriptionSpec } from "./handlers.ts";

/** The order an event is about: the catalog's events name it in order_id. */
function orderIdOf(data: unknown): string | undefined {
  const id = typeof data === "object" && data !== null ? (data as { order_id?: unknown }).order_id : undefined;
  return typeof id === "string" ? id : undefined;
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

export type DaprStatus = "SUCCESS" | "RETRY" | "DROP";
export type Outcome = "applied" | "duplicate" | "busy" | "failed" | "dropped" | "unwanted" | "ignored";

/** How each outcome is answered to Dapr. */
export const STATUS_OF: Record<Outcome, DaprStatus> = {
  applied: "SUCCESS",
  duplicate: "SUCCESS",
  busy: "RETRY",
  failed: "RETRY",
  dropped: "DROP",
  unwanted: "SUCCESS",
  ignored: "SUCCESS",
};

const DEFAULT_MARKER_TTL_SECONDS = 7 * 24 * 3600;
/**
 * A claim outlives any handler (they take milliseconds; the sidecar gives a
 * delivery 30 s) but not the Resiliency retries of a delivery (some 50 s):
 * when an app is killed while it applies an event, the redeliveries find its
 * claim run out well before they give up.
 */
const DEFAULT_CLAIM_LEASE_MS = 20_000;

/** When an app whose deliveries all fail says it makes no progress (EventDelivery.stalled). */
const STALLED_FAILURES = 10;
const STALLED_MS = 60_000;

/** Stands for every event type without a handler of its own. */
const OTHER_TYPES = "";

function routePath(topic: string, type: string): string {
  return `/dapr/events/${encodeURIComponent(topic)}/${type === OTHER_TYPES ? "_other" : encodeURIComponent(type)}`;
}

function cel(value: string): string {
  return JSON.stringify(value);
}

/** Where the app receives the dead letters of its subscription to `topic`. */
export function deadLetterPath(topic: string): string {
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

/**
 * Applies deliveries to the handlers of `specs`: each CloudEvent id at most
 * once (a claim marker per event and topic, unless the subscription's
 * handlers see to that themselves), every failure classified into
 * the outcome Dapr is answered with. The subscription routes use it, and so
 * do the dead-letter routes and the operators' re-drive (dead-letters.ts).
 */
export class EventDelivery {
  readonly #specs: Map<string, SubscriptionSpec>;
  readonly #claims: EventClaims;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** Since when every delivery has asked to come again (none succeeded since), and how many did. */
  #failingSince: number | undefined;
  #failures = 0;
  #stalledSaid = false;
  readonly #lag: Histogram<"topic"> | undefined;

  constructor(specs: SubscriptionSpec[], options: SubscriptionOptions) {
    this.#specs = new Map(specs.map((spec) => [spec.topic, spec]));
    this.#now = options.now ?? Date.now;
    this.#claims = new EventClaims(options.store, {
      leaseMs: options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS,
      ttlSeconds: options.markerTtlSeconds ?? DEFAULT_MARKER_TTL_SECONDS,
      now: this.#now,
    });
    this.#logger = options.logger;
    if (options.registry && !options.registry.getSingleMetric("dapr_events_failing_seconds")) {
      const failingSeconds = () => (this.#failingSince === undefined ? 0 : (this.#now() - this.#failingSince) / 1000);
      new Gauge({
        name: "dapr_events_failing_seconds",
        help: "How long every delivery has failed (asked to come again) with none applied since; 0 while events apply",
        registers: [options.registry],
        collect() {
          this.set(failingSeconds());
        },
      });
    }
    this.#lag = options.registry ? eventLag(options.registry) : undefined;
  }

  /**
   * Why the app makes no progress with its events, if it does not: at least
   * STALLED_FAILURES deliveries in a row, over STALLED_MS, asked to come
   * again and none applied. /readyz reports it (the "events" check).
   */
  stalled(): string | undefined {
    if (this.#failingSince === undefined || this.#failures < STALLED_FAILURES) return undefined;
    const seconds = Math.round((this.#now() - this.#failingSince) / 1000);
    if (seconds * 1000 < STALLED_MS) return undefined;
    return `no event applied for ${seconds} s: the last ${this.#failures} deliveries failed and asked to come again`;
  }

  /** The readiness check of the app's events (see stalled). */
  readinessCheck(): { name: string; check(): Promise<void> } {
    return {
      name: "events",
      check: async () => {
        const why = this.stalled();
        if (why) throw new Error(why);
      },
    };
  }

  /** Applies a delivery of `topic` (a CloudEvent as the sidecar posts it). */
  async apply(topic: string, body: unknown): Promise<{ outcome: Outcome; type: string }> {
    const result = await this.#apply(topic, body);
    this.#progress(STATUS_OF[result.outcome] === "RETRY");
    return result;
  }

  #progress(failed: boolean): void {
    if (!failed) {
      if (this.#stalledSaid) this.#logger.info({ failures: this.#failures }, "events apply again");
      this.#failingSince = undefined;
      this.#failures = 0;
      this.#stalledSaid = false;
      return;
    }
    this.#failingSince ??= this.#now();
    this.#failures += 1;
    const why = this.#stalledSaid ? undefined : this.stalled();
    if (why) {
      this.#stalledSaid = true;
      this.#logger.error({ failures: this.#failures }, `events make no progress: ${why}`);
    }
  }

  async #apply(topic: string, body: unknown): Promise<{ outcome: Outcome; type: string }> {
    let event: CloudEvent;
    try {
      event = parseCloudEvent(body);
    } catch (err) {
      this.#logger.warn({ topic, err }, "dropping malformed delivery");
      return { outcome: "dropped", type: "malformed" };
    }
    const spec = this.#specs.get(topic);
    const handler = spec?.handlers[event.type];
    if (!spec || !handler) return { outcome: "ignored", type: "other" };
    const publishedAt = event.time ? Date.parse(event.time) : Number.NaN;
    if (Number.isFinite(publishedAt)) this.#lag?.observe({ topic }, Math.max(0, this.#now() - publishedAt) / 1000);
    // The official daprd's outbox leaves traceparent empty and carries the
    // trace in traceid (ours sets both).
    const producer = parseTraceparent([event.traceparent, event.traceid].find((t) => t) ?? undefined, event.tracestate);
    // A child of the delivery (the sidecar's request) when that continues the
    // producer's trace, linked to the producer's span. Otherwise a child of
    // the producer, linked to the delivery: the official daprd's subscriber
    // starts a trace of its own for an event its outbox published, and an
    // operator's re-drive is a request of its own.
    const delivery = currentTrace();
    const followsProducer = producer !== undefined && delivery?.traceId !== producer.traceId;
    const parent = followsProducer ? producer : (delivery ?? producer);
    const link = followsProducer ? delivery : producer !== parent ? producer : undefined;
    const orderId = orderIdOf(event.data);
    const span = startSpan(`process ${topic}`, {
      kind: SpanKind.CONSUMER,
      parent,
      links: link ? [link] : [],
      attributes: {
        "messaging.system": "dapr",
        "messaging.operation.type": "process",
        "messaging.destination.name": topic,
        "messaging.message.id": event.id,
        "cloudevents.event_id": event.id,
        "cloudevents.event_type": event.type,
        "cloudevents.event_source": event.source,
        // A trace backend finds an order's traces by it (npm run trace).
        ...(orderId ? { "logistics.order.id": orderId } : {}),
      },
    });
    const log = this.#logger.child({ event_id: event.id, event_type: event.type, topic, trace_id: span.trace.traceId, span_id: span.trace.spanId });
    try {
      const wanted = spec.wanted?.[event.type];
      if (wanted && !wanted(event.data)) {
        span.setAttributes({ "logistics.event.outcome": "unwanted" });
        return { outcome: "unwanted", type: event.type };
      }
      const outcome = await withTrace(span.trace, () => this.#deliver(event, handler, topic, log, spec.idempotent === true));
      span.setAttributes({ "logistics.event.outcome": outcome });
      if (STATUS_OF[outcome] !== "SUCCESS") span.fail();
      return { outcome, type: event.type };
    } finally {
      span.end();
    }
  }

  async #deliver(event: CloudEvent, handler: EventHandler, topic: string, log: Logger, idempotent: boolean): Promise<Outcome> {
    if (idempotent) {
      try {
        await handler(event, log);
      } catch (err) {
        return failed(err, log);
      }
      log.info("event applied");
      return "applied";
    }
    const claims = this.#claims;
    let claim: Claim;
    try {
      claim = await claims.claim(topic, event);
    } catch (err) {
      log.warn({ err }, "cannot claim the event; asking for redelivery");
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
      await claims.release(claim).catch((e: unknown) => log.warn({ err: e }, "could not release the claim"));
      return failed(err, log);
    }
    try {
      if (!(await claims.complete(claim))) log.warn("applied after the claim ran out; another delivery holds the event now");
    } catch (err) {
      // The effect is committed; only the marker is not. A redelivery meets
      // the handler's own idempotency by business key.
      log.warn({ err }, "applied, but the marker was not updated");
    }
    log.info("event applied");
    return "applied";
  }
}

/** The outcome of a handler's failure, as its kind asks (failures.ts). */
function failed(err: unknown, log: Logger): Outcome {
  switch (classifyFailure(err)) {
    case "poison":
      log.error({ err }, "event cannot be applied; dropping it to the dead-letter topic");
      return "dropped";
    case "busy":
      log.warn({ err }, "a concurrent write is at work; asking for redelivery");
      return "busy";
    case "early":
      log.info({ reason: (err as Error).message }, "event came early; asking for redelivery");
      return "busy";
    default:
      log.error({ err }, "event failed; asking for redelivery");
      return "failed";
  }
}

/** A router serving /dapr/subscribe and the delivery routes of `specs`, applied by `delivery`. */
export function subscriptionRouter(specs: SubscriptionSpec[], options: SubscriptionOptions, delivery = new EventDelivery(specs, options)): Router {
  const router = new Router();
  const deliveries = deliveryCounter(options.registry);

  router.get("/dapr/subscribe", (ctx) => {
    ctx.body = subscriptionDocument(options.appId, options.pubsubName, specs);
  });

  for (const spec of specs) {
    router.post(routePath(spec.topic, OTHER_TYPES), (ctx) => {
      // Events of types this app does not handle share the topic: acknowledge them.
      deliveries.inc({ topic: spec.topic, type: "other", outcome: "ignored" });
      answer(ctx, "SUCCESS");
    });
    for (const type of Object.keys(spec.handlers)) {
      router.post(routePath(spec.topic, type), async (ctx) => {
        const { outcome } = await delivery.apply(spec.topic, (ctx.request as { body?: unknown }).body);
        deliveries.inc({ topic: spec.topic, type, outcome });
        answer(ctx, STATUS_OF[outcome]);
      });
    }
  }
  return router;
}

/**
 * logistics_event_lag_seconds: from an event's CloudEvent time (when the
 * outbox or publisher sent it; whole seconds on some brokers' paths, so
 * read it to the second) to its delivery here, redeliveries included.
 */
function eventLag(registry: Registry): Histogram<"topic"> {
  const name = "logistics_event_lag_seconds";
  return registeredOnce(
    registry,
    name,
    () =>
      new Histogram({
        name,
        help: "From an event's CloudEvent time to its delivery to this app, by topic (redeliveries included)",
        labelNames: ["topic"] as const,
        buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 1800],
        registers: [registry],
      }),
  );
}

/** dapr_events_total, shared by the subscriptions and the dead-letter routes of one registry. */
export function deliveryCounter(registry: Registry | undefined): Counter<"topic" | "type" | "outcome"> {
  const name = "dapr_events_total";
  const make = () =>
    new Counter({
      name,
      help: "Event deliveries by topic, type and outcome (applied, duplicate, busy, failed, dropped, ignored: a type the app does not handle, unwanted: filtered out by its handler)",
      labelNames: ["topic", "type", "outcome"] as const,
      registers: registry ? [registry] : [],
    });
  return registry ? registeredOnce(registry, name, make) : make();
}

/** Answers a delivery with Dapr's status. */
export function answer(ctx: Context, status: DaprStatus): void {
  ctx.status = 200;
  ctx.body = { status };
}
