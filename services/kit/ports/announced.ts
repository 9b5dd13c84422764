/**
 * An outbox store that tells an observer of each event it committed, once
 * the transaction that publishes it has succeeded: how a service counts what
 * it announces (its business metrics) while its domain and its store code
 * stay free of metrics. A commit that fails tells nothing, so a retried
 * change is counted once, when it lands.
 */
import type { Announcement, OutboxEvent, OutboxStore, SaveOptions, StateOperation } from "./ports.ts";

export function observeAnnouncements<E extends Announcement>(store: OutboxStore<E>, observe: (event: E) => void): OutboxStore<E> {
  return {
    get<T>(key: string) {
      return store.get<T>(key);
    },
    getMany<T>(keys: string[]) {
      return store.getMany<T>(keys);
    },
    save: (key: string, value: unknown, options?: SaveOptions) => store.save(key, value, options),
    delete: (key: string, options?: { etag?: string }) => store.delete(key, options),
    transact: (operations: StateOperation[], metadata?: Record<string, string>) => store.transact(operations, metadata),
    async commit(operations: StateOperation[], events: OutboxEvent<E>[]) {
      await store.commit(operations, events);
      for (const event of events) observe(event);
    },
  };
}
