/**
 * Programmatic subscriptions served by the Koa app itself: GET /dapr/subscribe
 * lists them, and each delivery is answered with Dapr's SUCCESS, RETRY or DROP
 * on purpose. Every subscription has a dead-letter topic. Each CloudEvent id
 * is applied at most once: the handler's state changes and an "applied"
 * marker for the event commit in one transaction, and the marker is written
 * insert-only, so a second delivery of the same id changes nothing.
 */
import Router from "@koa/router";
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
}

type DaprStatus = "SUCCESS" | "RETRY" | "DROP";

const DEFAULT_MARKER_TTL = 7 * 24 * 3600;

/** The key of the marker that records `event` as applied. */
export function appliedMarkerKey(topic: string, eventId: string): string {
  return `applied:${topic}:${eventId}`;
}

function routePath(topic: string, type: string): string {
  return `/dapr/events/${encodeURIComponent(topic)}/${encodeURIComponent(type)}`;
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
      default: routePath(spec.topic, "*"),
    },
    deadLetterTopic: spec.deadLetterTopic ?? `${spec.topic}-dead-letter`,
  }));
}

/** A router serving /dapr/subscribe and the delivery routes of `specs`. */
export function subscriptionRouter(specs: SubscriptionSpec[], options: SubscriptionOptions): Router {
  const router = new Router();
  const ttl = String(options.markerTtlSeconds ?? DEFAULT_MARKER_TTL);

  router.get("/dapr/subscribe", (ctx) => {
    ctx.body = subscriptionDocument(options.pubsubName, specs);
  });

  for (const spec of specs) {
    router.post(routePath(spec.topic, "*"), (ctx) => {
      // Events of types this app does not handle share the topic: acknowledge them.
      answer(ctx, "SUCCESS");
    });
    for (const [type, handler] of Object.entries(spec.handlers)) {
      router.post(routePath(spec.topic, type), async (ctx) => {
        let event: CloudEvent;
        try {
          event = parseCloudEvent((ctx.request as { body?: unknown }).body);
        } catch (err) {
          options.logger.warn({ topic: spec.topic, err: (err as Error).message }, "dropping malformed delivery");
          return answer(ctx, "DROP");
        }
        const trace = continueTrace(event.traceparent ?? ctx.get("traceparent"), event.tracestate);
        const log = options.logger.child({ event_id: event.id, event_type: event.type, topic: spec.topic, trace_id: trace.traceId });
        const status = await withTrace(trace, () => deliver(event, handler, spec.topic, log));
        answer(ctx, status);
      });
    }
  }

  async function deliver(event: CloudEvent, handler: EventHandler, topic: string, log: Logger): Promise<DaprStatus> {
    const marker = appliedMarkerKey(topic, event.id);
    try {
      if (await options.store.get(marker)) {
        log.info("duplicate delivery ignored");
        return "SUCCESS";
      }
      const result = (await handler(event, log)) ?? {};
      await options.store.transact([
        ...(result.operations ?? []),
        {
          operation: "upsert",
          key: marker,
          value: { event_id: event.id, type: event.type, applied_at: new Date().toISOString() },
          onlyIfAbsent: true,
          metadata: { ttlInSeconds: ttl },
        },
      ]);
      log.info("event applied");
      return "SUCCESS";
    } catch (err) {
      if (err instanceof PoisonEventError || err instanceof MalformedEventError) {
        log.error({ err: err.message }, "event cannot be applied; dropping it to the dead-letter topic");
        return "DROP";
      }
      if (err instanceof EtagMismatchError) {
        // Either a concurrent delivery of the same id committed first (the
        // marker exists: done), or a handler's guarded write lost a race (retry).
        if (await options.store.get(marker).catch(() => undefined)) return "SUCCESS";
        log.warn({ err: err.message }, "concurrent write; asking for redelivery");
        return "RETRY";
      }
      log.error({ err }, "event failed; asking for redelivery");
      return "RETRY";
    }
  }

  return router;
}

function answer(ctx: Context, status: DaprStatus): void {
  ctx.status = 200;
  ctx.body = { status };
}
