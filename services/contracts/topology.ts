/**
 * Who publishes and who reads which topic. The services' subscriptions must
 * agree with it (a unit test checks); provisioning reads it where a broker
 * needs its topics made beforehand (NATS JetStream's streams).
 */
import { deadLetterTopic } from "../kit/events/handlers.ts";
import { Topics } from "./events.ts";

export interface AppTopics {
  /** The topic of the app's outbox (its state store component's outboxPublishTopic); none for the read side. */
  publishes?: string;
  subscribes: string[];
}

export const TOPOLOGY: Record<string, AppTopics> = {
  order: { publishes: Topics.orders, subscribes: [Topics.inventory, Topics.payments, Topics.shipments, Topics.orders] },
  inventory: { publishes: Topics.inventory, subscribes: [Topics.orders, Topics.payments] },
  payment: { publishes: Topics.payments, subscribes: [Topics.inventory, Topics.orders] },
  tracking: { publishes: Topics.shipments, subscribes: [Topics.orders] },
  notification: { publishes: Topics.notifications, subscribes: [Topics.inventory, Topics.orders] },
  // The read side reads every topic whose events change its views (not
  // notifications) and publishes nothing.
  dashboard: { subscribes: [Topics.orders, Topics.inventory, Topics.payments, Topics.shipments] },
};

/**
 * The internal topic Dapr's outbox relays an app's events through before
 * publishing them; it starts with the Dapr namespace ("default" outside
 * Kubernetes, unless NAMESPACE says otherwise).
 */
export function outboxRelayTopic(appId: string, topic: string, namespace = "default"): string {
  return `${namespace}${appId}${topic}outbox`;
}

/** Every topic the system uses in a Dapr namespace: events, dead letters, outbox relays. */
export function allTopics(namespace = "default"): string[] {
  const topics = new Set<string>(Object.values(Topics));
  for (const [appId, app] of Object.entries(TOPOLOGY)) {
    if (app.publishes) topics.add(outboxRelayTopic(appId, app.publishes, namespace));
    for (const topic of app.subscribes) topics.add(deadLetterTopic(appId, topic));
  }
  return [...topics].sort();
}
