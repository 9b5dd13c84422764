/**
 * Programmatic subscriptions served by the Koa app itself: GET /dapr/subscribe
 * lists them, and each delivery is answered with Dapr's SUCCESS, RETRY or DROP
 * on purpose. Every subscription has a dead-letter topic.
 *
 * Each CloudEvent id is applied at most once. Before its handler runs, a
 * delivery claims the event with an insert-only write of a marker key (an
 * atomic single-key write on every store); a second delivery of the same id
 * finds the marker and is acknowledged without effect, or, while the first
 * is still at work, asked to come again. A handler that fails gives its claim
 * back so that the redelivery applies the event. A claim whose holder died is
 * taken over after its lease; for that window, handlers keep their own effects
 * idempotent by business key (one reservation per order, say).
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

const DEFAULT_MARKER_TTL = 7 * 24 * 3600;
const DEFAULT_CLAIM_LEASE_MS = 60_000;

/** What the marker of an event records. */
export interface AppliedMarker {
  event_id: string;
  type: string;
  state: "claimed" | "applied";
  /** Epoch ms until which a claim holds (0 once applied). */
  claimed_until: number;
}

type Claim = { outcome: "claimed"; etag: string } | { outcome: "applied" } | { outcome: "busy" };

function markerValue(event: CloudEvent, state: AppliedMarker["state"], claimedUntil: number): AppliedMarker {
  return { event_id: event.id, type: event.type, state, claimed_until: claimedUntil };
}

/**
 * Commits a handler's operations: a single write through save (atomic and
 * guarded on every store), several through one state transaction.
 */
export async function applyOperations(store: StateStore, operations: StateOperation[]): Promise<void> {
  if (operations.length === 0) return;
  if (operations.length > 1) return store.transact(operations);
  const [op] = operations as [StateOperation];
  if (op.operation === "delete") return store.delete(op.key, op.etag !== undefined ? { etag: op.etag } : {});
  const { operation: _operation, key, value, ...options } = op;
  return store.save(key, value, options);
}
/** Stands for every event type without a handler of its own. */
const OTHER_TYPES = "";

/** The key of the marker that records `event` as applied. */
export function appliedMarkerKey(topic: string, eventId: string): string {
  return `applied:${topic}:${eventId}`;
}

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
  const ttl = String(options.markerTtlSeconds ?? DEFAULT_MARKER_TTL);
  const leaseMs = options.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
  const now = options.now ?? Date.now;
  const deliveries = new Counter({
    name: "dapr_events_total",
    help: "Event deliveries by topic, type and outcome (applied, duplicate, busy, failed, dropped, ignored)",
    labelNames: ["topic", "type", "outcome"] as const,
    registers: options.registry ? [options.registry] : [],
  });

  async function claimEvent(store: StateStore, marker: string, event: CloudEvent, lease: number, ttlSeconds: string): Promise<Claim> {
    const metadata = { ttlInSeconds: ttlSeconds };
    try {
      await store.save(marker, markerValue(event, "claimed", now() + lease), { onlyIfAbsent: true, metadata });
    } catch (err) {
      if (!(err instanceof EtagMismatchError)) throw err;
      const existing = await store.get<AppliedMarker>(marker);
      if (!existing) return { outcome: "busy" };
      if (existing.value.state === "applied") return { outcome: "applied" };
      if (existing.value.claimed_until > now()) return { outcome: "busy" };
      // The holder's lease ran out: it died or hangs. Take the event over.
      try {
        await store.save(marker, markerValue(event, "claimed", now() + lease), { etag: existing.etag, metadata });
      } catch (takeover) {
        if (takeover instanceof EtagMismatchError) return { outcome: "busy" };
        throw takeover;
      }
    }
    // Saves do not return the new ETag; the marker's guarded updates need it.
    const claimed = await store.get<AppliedMarker>(marker);
    if (!claimed) return { outcome: "busy" };
    return { outcome: "claimed", etag: claimed.etag };
  }

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
    const marker = appliedMarkerKey(topic, event.id);
    let claim: Claim;
    try {
      claim = await claimEvent(options.store, marker, event, leaseMs, ttl);
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
      await options.store.delete(marker, { etag: claim.etag }).catch((e: Error) => log.warn({ err: e.message }, "could not release the claim"));
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
      await options.store.save(marker, markerValue(event, "applied", 0), { etag: claim.etag, metadata: { ttlInSeconds: ttl } });
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
