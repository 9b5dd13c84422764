/**
 * The dead letters of an app: events its subscriptions dropped (poison) or
 * gave up on after the Resiliency retries. Dapr publishes them to the
 * subscription's dead-letter topic, and the app subscribes to that topic.
 *
 * A dead letter is first one more delivery: an event given up on for a
 * passing reason (its store away, the claim of a delivery that died with its
 * process) is applied now, or asked for again while the reason lasts, and
 * nobody has to act. What cannot apply (poison) is kept, with its payload,
 * for operators: GET /dead-letters lists them, POST /dead-letters/redrive
 * applies them again after a fix (one, a topic's, or all) and forgets those
 * that applied, DELETE /dead-letters/{topic}/{id} discards one with a reason.
 */
import Router from "@koa/router";
import type { Registry } from "prom-client";
import type { KeyLocks } from "../coordination/locks.ts";
import type { Logger } from "../logger.ts";
import { stateMetric } from "../metrics.ts";
import { HttpProblem, KitProblems } from "../http/problems.ts";
import type { StateStore } from "../ports/ports.ts";
import { validator } from "../validation.ts";
import type { JsonSchema } from "../validation.ts";
import { deadLetterTopic } from "./handlers.ts";
import type { SubscriptionSpec } from "./handlers.ts";
import { answer, deadLetterPath, deliveryCounter, STATUS_OF } from "./subscriptions.ts";
import type { EventDelivery } from "./subscriptions.ts";

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

  /** Forgets the letters of `topic` with these ids; returns those it found. */
  async remove(topic: string, ids: string[]): Promise<DeadLetter[]> {
    const key = logKey(topic);
    return this.#locks.withLocks([key], async () => {
      const current = await this.#store.get<DeadLetterLog>(key);
      if (!current) return [];
      const removed = current.value.letters.filter((l) => ids.includes(l.id));
      if (removed.length === 0) return [];
      const letters = current.value.letters.filter((l) => !ids.includes(l.id));
      await this.#store.save(key, { topic, letters }, { etag: current.etag });
      return removed;
    });
  }

  /** The kept dead letters of each topic, oldest first. */
  async list(topics: string[]): Promise<Record<string, DeadLetter[]>> {
    const logs = await this.#store.getMany<DeadLetterLog>(topics.map(logKey));
    const byTopic = new Map(logs.map((log) => [log.value.topic, log.value.letters]));
    return Object.fromEntries(topics.map((topic) => [topic, byTopic.get(topic) ?? []]));
  }
}

/** The body of a discard: why (the public API documents this very schema). */
export const deadLetterDiscardSchema: JsonSchema = {
  $id: "DeadLetterDiscard",
  type: "object",
  required: ["reason"],
  properties: { reason: { type: "string", minLength: 1, pattern: "\\S", description: "Why the letter is discarded" } },
};
const discardBody = validator<{ reason: string }>(deadLetterDiscardSchema);

export interface DeadLetterRouterOptions {
  appId: string;
  store: StateStore;
  locks: KeyLocks;
  logger: Logger;
  /** Applies a dead letter as one more delivery of its topic (the subscriptions' own). */
  delivery: EventDelivery;
  now?: () => number;
  registry?: Registry;
}

/** The event a kept dead letter was, as its topic's deliveries carry it. */
function asDelivery(letter: DeadLetter): Record<string, unknown> {
  return { id: letter.id, type: letter.type, source: letter.source, specversion: "1.0", datacontenttype: "application/json", data: letter.data };
}

/**
 * Receives the dead letters of every subscription in `specs` (the topics that
 * subscriptionDocument lists) and serves operators at /dead-letters.
 */
export function deadLetterRouter(specs: SubscriptionSpec[], options: DeadLetterRouterOptions): Router {
  const router = new Router();
  const deadLetters = new DeadLetters(options.store, options.locks);
  const deliveries = deliveryCounter(options.registry);
  const now = options.now ?? Date.now;
  const topics = specs.map((spec) => ({ topic: spec.topic, deadLetters: deadLetterTopic(options.appId, spec.topic) }));
  if (options.registry && !options.registry.getSingleMetric("logistics_dead_letters")) {
    stateMetric(options.registry, {
      name: "logistics_dead_letters",
      help: "Dead letters kept for operators (GET /dead-letters), by the topic they came from",
      labelNames: ["topic"] as const,
      read: async () => {
        const kept = await deadLetters.list(topics.map((t) => t.deadLetters));
        return topics.map(({ topic, deadLetters: dlt }) => [{ topic }, kept[dlt]?.length ?? 0]);
      },
      onError: (err) => options.logger.warn({ err }, "could not read the dead letters for /metrics"),
    });
  }

  router.get("/dead-letters", async (ctx) => {
    ctx.body = await deadLetters.list(topics.map((t) => t.deadLetters));
  });

  for (const { topic, deadLetters: dlt } of topics) {
    router.post(deadLetterPath(topic), async (ctx) => {
      const body = (ctx.request as { body?: unknown }).body;
      const { outcome, type } = await options.delivery.apply(topic, body);
      if (outcome !== "dropped") {
        // Applied now (or already, or not for this app), or asked for again
        // while what stopped it lasts: nothing for an operator to do.
        if (STATUS_OF[outcome] === "SUCCESS") options.logger.info({ topic: dlt, event_type: type, outcome }, "a dead letter applied after all");
        deliveries.inc({ topic: dlt, type, outcome: outcome === "applied" ? "recovered" : outcome });
        return answer(ctx, STATUS_OF[outcome]);
      }
      try {
        await deadLetters.record(dlt, body, now());
        options.logger.warn({ topic: dlt, event_type: type }, "event kept in the dead letters");
        deliveries.inc({ topic: dlt, type, outcome: "kept" });
        answer(ctx, "SUCCESS");
      } catch (err) {
        options.logger.warn({ topic: dlt, err }, "could not record a dead letter; asking for redelivery");
        answer(ctx, "RETRY");
      }
    });
  }

  // Applies the kept letters again (after a fix): all, one topic's
  // (?topic=<dead-letter topic>) or one (&id=<event id>). Those that apply,
  // or had been applied, are forgotten; the rest stay, with the outcome.
  router.post("/dead-letters/redrive", async (ctx) => {
    const onlyTopic = typeof ctx.query.topic === "string" ? ctx.query.topic : undefined;
    const onlyId = typeof ctx.query.id === "string" ? ctx.query.id : undefined;
    const kept = await deadLetters.list(topics.map((t) => t.deadLetters));
    const results: Array<{ topic: string; id: string; outcome: string }> = [];
    for (const { topic, deadLetters: dlt } of topics) {
      if (onlyTopic && onlyTopic !== dlt) continue;
      const done: string[] = [];
      for (const letter of kept[dlt] ?? []) {
        if (onlyId && onlyId !== letter.id) continue;
        const { outcome } = await options.delivery.apply(topic, asDelivery(letter));
        results.push({ topic: dlt, id: letter.id, outcome });
        if (STATUS_OF[outcome] === "SUCCESS") done.push(letter.id);
      }
      if (done.length > 0) await deadLetters.remove(dlt, done);
    }
    options.logger.info({ redriven: results.length, applied: results.filter((r) => STATUS_OF[r.outcome as keyof typeof STATUS_OF] === "SUCCESS").length }, "dead letters re-driven");
    ctx.body = { redriven: results };
  });

  // Discards one kept letter, with the operator's reason (logged).
  router.delete("/dead-letters/:topic/:id", async (ctx) => {
    const { reason } = discardBody((ctx.request as { body?: unknown }).body ?? {});
    const removed = await deadLetters.remove(ctx.params.topic!, [ctx.params.id!]);
    if (removed.length === 0) throw new HttpProblem(KitProblems.notFound, `${ctx.params.topic} holds no letter ${ctx.params.id}`);
    options.logger.warn({ topic: ctx.params.topic, event_id: ctx.params.id, event_type: removed[0]!.type, reason }, "dead letter discarded");
    ctx.status = 204;
  });
  return router;
}
