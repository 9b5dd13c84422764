/**
 * The dead letters of an app: events its subscriptions dropped (poison) or
 * gave up on after the Resiliency retries. Dapr publishes them to the
 * subscription's dead-letter topic; the app subscribes to that topic and
 * keeps the latest ones, with their payload, for operators (GET /dead-letters).
 */
import Router from "@koa/router";
import type { Registry } from "prom-client";
import type { KeyLocks } from "../coordination/locks.ts";
import type { Logger } from "../logger.ts";
import type { StateStore } from "../ports/ports.ts";
import { deadLetterTopic } from "./handlers.ts";
import type { SubscriptionSpec } from "./handlers.ts";
import { answer, deadLetterPath, deliveryCounter } from "./subscriptions.ts";

/** How many dead letters are kept per topic; older ones are forgotten. */
export const DEAD_LETTERS_KEPT = 200;

export interface DeadLetter {
  id: string;
  type: string;
  source: string;
  data: unknown;
  received_at: string;
}

interface DeadLetterLog {
  topic: string;
  letters: DeadLetter[];
}

const logKey = (topic: string) => `dead-letters:${topic}`;

export class DeadLetters {
  readonly #store: StateStore;
  readonly #locks: KeyLocks;

  constructor(store: StateStore, locks: KeyLocks) {
    this.#store = store;
    this.#locks = locks;
  }

  /** Keeps a delivery of a dead-letter topic (once per event id). */
  async record(topic: string, delivery: unknown, now: number): Promise<void> {
    const raw = (delivery ?? {}) as Record<string, unknown>;
    const letter: DeadLetter = {
      id: String(raw.id ?? ""),
      type: String(raw.type ?? ""),
      source: String(raw.source ?? ""),
      data: raw.data ?? null,
      received_at: new Date(now).toISOString(),
    };
    const key = logKey(topic);
    await this.#locks.withLocks([key], async () => {
      const current = await this.#store.get<DeadLetterLog>(key);
      const letters = current?.value.letters ?? [];
      if (letter.id !== "" && letters.some((l) => l.id === letter.id)) return;
      const value: DeadLetterLog = { topic, letters: [...letters, letter].slice(-DEAD_LETTERS_KEPT) };
      await this.#store.save(key, value, current ? { etag: current.etag } : { onlyIfAbsent: true });
    });
  }

  /** The kept dead letters of each topic, oldest first. */
  async list(topics: string[]): Promise<Record<string, DeadLetter[]>> {
    const logs = await this.#store.getMany<DeadLetterLog>(topics.map(logKey));
    const byTopic = new Map(logs.map((log) => [log.value.topic, log.value.letters]));
    return Object.fromEntries(topics.map((topic) => [topic, byTopic.get(topic) ?? []]));
  }
}

export interface DeadLetterRouterOptions {
  appId: string;
  store: StateStore;
  locks: KeyLocks;
  logger: Logger;
  now?: () => number;
  registry?: Registry;
}

/**
 * Receives the dead letters of every subscription in `specs` (the topics that
 * subscriptionDocument lists) and serves them at GET /dead-letters.
 */
export function deadLetterRouter(specs: SubscriptionSpec[], options: DeadLetterRouterOptions): Router {
  const router = new Router();
  const deadLetters = new DeadLetters(options.store, options.locks);
  const deliveries = deliveryCounter(options.registry);
  const now = options.now ?? Date.now;

  router.get("/dead-letters", async (ctx) => {
    ctx.body = await deadLetters.list(specs.map((spec) => deadLetterTopic(options.appId, spec.topic)));
  });

  for (const spec of specs) {
    const topic = deadLetterTopic(options.appId, spec.topic);
    router.post(deadLetterPath(spec.topic), async (ctx) => {
      try {
        await deadLetters.record(topic, (ctx.request as { body?: unknown }).body, now());
        options.logger.warn({ topic }, "event parked in the dead-letter topic");
        deliveries.inc({ topic, type: "dead-letter", outcome: "applied" });
        answer(ctx, "SUCCESS");
      } catch (err) {
        options.logger.warn({ topic, err }, "could not record a dead letter; asking for redelivery");
        answer(ctx, "RETRY");
      }
    });
  }
  return router;
}
