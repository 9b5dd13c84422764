/**
 * Load generators.
 *
 * openLoop sends request i at start + i/rate whether or not earlier requests
 * were answered, and measures each latency from that scheduled time, so a
 * stall shows in the figures instead of quietly slowing the sender down
 * (coordinated omission). It also records how late each request actually left
 * (the generator's own lag), so a generator that could not keep up is seen.
 *
 * closedLoop runs N clients, each sending its next request when the previous
 * one is answered: the highest throughput at that concurrency.
 */
import { setImmediate as yieldToLoop, setTimeout as delay } from "node:timers/promises";
import { summarize } from "./stats.ts";
import type { Summary } from "./stats.ts";

export interface Answer<T> {
  status: number;
  value?: T;
}

export type Send<T> = (index: number) => Promise<Answer<T>>;

export interface Shot<T> {
  index: number;
  /** When it was due (epoch ms). */
  dueAt: number;
  /** From the scheduled time to the answer. */
  latencyMs: number;
  /** How late the request left (generator lag). */
  sendLagMs: number;
  ok: boolean;
  /** The HTTP status, or what went wrong ("timeout", "ECONNRESET", …). */
  kind: string;
  value?: T;
}

export interface OpenLoopResult<T> {
  shots: Shot<T>[];
  /** The schedule's first and last-plus-one slot (epoch ms). */
  windowStart: number;
  windowEnd: number;
  /** Latency of the answered-as-expected requests. */
  latency: Summary;
  sendLag: Summary;
  errors: Map<string, number>;
}

export interface ClosedLoopResult {
  clients: number;
  ok: number;
  elapsedMs: number;
  throughput: number;
  latency: Summary;
  errors: Map<string, number>;
}

/** What a failed request was: its error code, or "timeout". */
export function failureKind(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.message === "timeout") return "timeout";
  if (e?.message === "aborted") return "aborted";
  return e?.code ?? "error";
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

export async function openLoop<T>(options: { rate: number; durationMs: number; okStatus: number; send: Send<T>; signal: AbortSignal }): Promise<OpenLoopResult<T>> {
  const total = Math.max(1, Math.round((options.rate * options.durationMs) / 1000));
  const interval = 1000 / options.rate;
  // Epoch times (to compare with the services' timestamps) from the wall clock as it is now.
  const offset = Date.now() - performance.now();
  const epoch = (perfNow: number) => offset + perfNow;
  const start = performance.now() + 10;
  const shots: Shot<T>[] = [];
  const inflight = new Set<Promise<void>>();

  const fire = (index: number, due: number) => {
    const sentAt = performance.now();
    const done = options
      .send(index)
      .then(
        (answer) => ({ ok: answer.status === options.okStatus, kind: String(answer.status), value: answer.value }),
        (err: unknown) => ({ ok: false, kind: failureKind(err), value: undefined }),
      )
      .then((outcome) => {
        shots.push({ index, dueAt: epoch(due), latencyMs: performance.now() - due, sendLagMs: sentAt - due, ...outcome });
      });
    inflight.add(done);
    void done.finally(() => inflight.delete(done));
  };

  let next = 0;
  while (next < total && !options.signal.aborted) {
    const due = start + next * interval;
    const wait = due - performance.now();
    if (wait >= 1) {
      // Timers have millisecond resolution and fire late rather than early.
      await delay(Math.floor(wait));
    } else if (wait > 0) {
      await yieldToLoop();
    } else {
      fire(next, due);
      next += 1;
    }
  }
  await Promise.all([...inflight]);
  shots.sort((a, b) => a.index - b.index);
  const errors = new Map<string, number>();
  for (const shot of shots) if (!shot.ok) count(errors, shot.kind);
  return {
    shots,
    windowStart: epoch(start),
    windowEnd: epoch(start + total * interval),
    latency: summarize(shots.filter((s) => s.ok).map((s) => s.latencyMs)),
    sendLag: summarize(shots.map((s) => s.sendLagMs)),
    errors,
  };
}

export async function closedLoop(options: { clients: number; durationMs: number; okStatus: number; send: Send<unknown>; signal: AbortSignal }): Promise<ClosedLoopResult> {
  const start = performance.now();
  const deadline = start + options.durationMs;
  const latencies: number[] = [];
  const errors = new Map<string, number>();
  let index = 0;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (performance.now() < deadline && !options.signal.aborted) {
        const t0 = performance.now();
        try {
          const answer = await options.send(index++);
          if (answer.status === options.okStatus) latencies.push(performance.now() - t0);
          else count(errors, String(answer.status));
        } catch (err) {
          count(errors, failureKind(err));
          // A refused connection fails at once: do not spin on it.
          await delay(20);
        }
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  return {
    clients: options.clients,
    ok: latencies.length,
    elapsedMs,
    throughput: latencies.length / (elapsedMs / 1000),
    latency: summarize(latencies),
    errors,
  };
}
