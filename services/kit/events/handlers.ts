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

/** Handlers by event type, each receiving the data its type carries. */
export type EventHandlers<M> = { [K in keyof M]?: EventHandler<M[K]> };

/** One topic's handlers by CloudEvent type; other types on the topic are acknowledged and ignored. */
export interface SubscriptionSpec {
  topic: string;
  handlers: Record<string, EventHandler>;
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
  const byTopic = new Map<string, Record<string, EventHandler>>();
  for (const [type, handler] of Object.entries(handlers) as Array<[keyof M & string, EventHandler | undefined]>) {
    if (!handler) continue;
    const { topic, schema } = catalog[type];
    const check = schemaCheck(schema as JsonSchema);
    const checked: EventHandler = (event, log) => {
      const errors = check(event.data);
      if (errors.length > 0) throw new PoisonEventError(`${type} data: ${errors.map((e) => `${e.field} ${e.message}`).join("; ")}`);
      return handler(event, log);
    };
    byTopic.set(topic, { ...byTopic.get(topic), [type]: checked });
  }
  return [...byTopic].map(([topic, byType]) => ({ topic, handlers: byType }));
}
