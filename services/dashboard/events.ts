/**
 * The read side listens to every event that changes one of its views (an
 * order's, a SKU's) and projects it. The others (notifications sent,
 * couriers' positions, stock committed or released) would each cost a
 * delivery and change nothing.
 */
import { EVENTS } from "../contracts/events.ts";
import type { EventMap } from "../contracts/events.ts";
import type { EventHandler, EventHandlers } from "../kit/events/handlers.ts";
import { subscriptionsFor } from "../kit/events/handlers.ts";
import type { SubscriptionSpec } from "../kit/events/handlers.ts";
import { ORDER_EVENT_TYPES, SKU_EVENT_TYPES } from "./projection.ts";
import type { ProjectedEvent } from "./projection.ts";
import type { Projections } from "./read-side.ts";

/** The event types the projection reads. */
export const PROJECTED_TYPES = [...ORDER_EVENT_TYPES, ...SKU_EVENT_TYPES];

/** The topics they come on. */
export const PROJECTED_TOPICS = [...new Set(PROJECTED_TYPES.map((type) => EVENTS[type].topic))];

/** `onApplied` hears of each event that changed a view (the live page's feed). */
export function dashboardSubscriptions(projections: Projections, now: () => Date = () => new Date(), onApplied: (event: ProjectedEvent) => void = () => {}): SubscriptionSpec[] {
  const project: EventHandler = async (event, logger) => {
    // The CloudEvent's time orders reports of one thing; Dapr sets it on publishing.
    const projected = { id: event.id, type: event.type, time: event.time ?? now().toISOString(), data: event.data } as ProjectedEvent;
    const changed = await projections.apply(projected);
    if (changed) onApplied(projected);
    logger.debug({ type: event.type, changed }, "event projected");
  };
  const handlers = Object.fromEntries(PROJECTED_TYPES.map((type) => [type, project])) as EventHandlers<EventMap>;
  // A view records the ids of the events applied to it (projection.ts).
  return subscriptionsFor<EventMap>(EVENTS, handlers).map((spec) => ({ ...spec, idempotent: true }));
}
