/**
 * What a service declares to receive events: a handler per CloudEvent type,
 * typed by an event catalog that says which topic each type travels on and
 * which schema its data must pass. No Koa here: the router that serves these
 * (subscriptions.ts) and the topology that provisions topics both read it.
 */
import type { Logger } from "../logger.ts";
import { schemaCheck } from "../validation.ts";
import type { JsonSchema } from "../validation.ts";
import type { CloudEvent } from "./cloudevents.ts";
import { PoisonEventError } from "../failures.ts";

/** What the kit needs to know of an event type: its topic and the schema of its data. */
export interface EventContract {
  topic: string;
  schema: JsonSchema | object;
}

/**
 * Applies one event: commits its state changes (with the events they cause)
 * itself. Throwing PoisonEventError drops the event to the dead-letter topic,
 * NotYetApplicableError or a lost race asks for a later redelivery, and any
 * other error asks for redelivery too (failures.ts classifies them).
 */
export type EventHandler<T = unknown> = (event: CloudEvent<T>, log: Logger) => Promise<void>;

/**
 * A handler that wants only some events of its type: those whose data has, in
 * each field of `only`, one of the values listed. The others are acknowledged
 * before anything is claimed or read, which is most of them for a handler that
 * acts on one status of many.
 */
export interface FilteredHandler<T> {
  only: { [F in keyof T]?: ReadonlyArray<T[F]> };
  handle: EventHandler<T>;
}

/** Handlers by event type, each receiving the data its type carries. */
export type EventHandlers<M> = { [K in keyof M]?: EventHandler<M[K]> | FilteredHandler<M[K]> };

/** One topic's handlers by CloudEvent type; other types on the topic are acknowledged and ignored. */
export interface SubscriptionSpec {
  topic: string;
  handlers: Record<string, EventHandler>;
  /** For a type listed here, whether an event is one its handler wants (see FilteredHandler). */
  wanted?: Record<string, (data: unknown) => boolean>;
  /**
   * The handlers apply each event id at most once by themselves (the read
   * side's views record the events applied to them), so deliveries skip the
   * claim markers: two state-store writes fewer per event, and events apply
   * while the state store is away.
   */
  idempotent?: boolean;
}

/** The dead-letter topic of `appId`'s subscription to `topic`. */
export function deadLetterTopic(appId: string, topic: string): string {
  return `${appId}-${topic}-dead-letter`;
}

/**
 * The subscriptions of `handlers`, grouped by the topic each type travels on
 * in `catalog`. Each handler is called only with data its type's schema
 * accepts; other data is poison.
 */
export function subscriptionsFor<M>(catalog: { [K in keyof M]: EventContract }, handlers: EventHandlers<M>): SubscriptionSpec[] {
  const byTopic = new Map<string, SubscriptionSpec>();
  for (const [type, declared] of Object.entries(handlers) as Array<[keyof M & string, EventHandler | FilteredHandler<unknown> | undefined]>) {
    if (!declared) continue;
    const { topic, schema } = catalog[type];
    const check = schemaCheck(schema as JsonSchema);
    const handle = typeof declared === "function" ? declared : declared.handle;
    const checked: EventHandler = (event, log) => {
      const errors = check(event.data);
      if (errors.length > 0) throw new PoisonEventError(`${type} data: ${errors.map((e) => `${e.field} ${e.message}`).join("; ")}`);
      return handle(event, log);
    };
    const spec = byTopic.get(topic) ?? { topic, handlers: {} };
    spec.handlers[type] = checked;
    if (typeof declared !== "function") {
      const only = Object.entries(declared.only) as Array<[string, readonly unknown[]]>;
      // Data that breaks the schema is wanted: its handler makes it poison.
      const wants = (data: unknown) =>
        check(data).length > 0 || only.every(([field, values]) => values.includes((data as Record<string, unknown>)[field]));
      spec.wanted = { ...spec.wanted, [type]: wants };
    }
    byTopic.set(topic, spec);
  }
  return [...byTopic.values()];
}
