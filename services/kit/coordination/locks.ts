/**
 * Leased locks on state keys. A service holds the locks of the aggregates it
 * is about to change while it reads them, decides and commits the change
 * with its events in one state transaction.
 *
 * Why: Dapr's Redis state store runs a transaction as MULTI/EXEC, which has
 * no rollback. If an ETag-guarded write in it loses a race, the other writes
 * of the transaction still land, the outbox's own marker among them, so the
 * event would be published for a change that was never stored. Holding the
 * lock makes losing the race impossible while the lease lasts; the ETags stay
 * on the writes, so on PostgreSQL a lost race aborts the whole transaction.
 *
 * A lock is a lease on `lock:<key>` (lease.ts): a holder that died is taken
 * over once its lease ran out, and the store's TTL removes the lock key if
 * nobody does.
 *
 * Writers in the same process queue for a key in memory first and take the
 * store's lock one after another: a hot key (an item every order asks for)
 * passes from one writer to the next as soon as it is released, instead of
 * every waiter polling the store and sleeping through its back-off.
 */
import { acquireLease, endLease } from "./lease.ts";
import type { HeldLease } from "./lease.ts";
import type { StateStore } from "../ports/ports.ts";

/** No lock could be had within the wait: the caller should come back later. */
export class LockBusyError extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`${key} is locked by another writer`);
    this.name = "LockBusyError";
    this.key = key;
  }
}

export interface LockOptions {
  /** How long a lock holds; a holder must be done well within it. */
  leaseMs?: number;
  /** How long to wait for a lock before giving up with LockBusyError. */
  waitMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface LockValue {
  holder: string;
  held_until: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Acquires and releases leased locks on keys of one state store. */
export class KeyLocks {
  readonly #store: StateStore;
  readonly #leaseMs: number;
  readonly #waitMs: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** Per key, the end of the in-process queue of writers waiting for it. */
  readonly #queues = new Map<string, Promise<void>>();

  constructor(store: StateStore, options: LockOptions = {}) {
    this.#store = store;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#waitMs = options.waitMs ?? 5_000;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? defaultSleep;
  }

  /**
   * Runs `work` holding the locks of every key (taken in sorted order, so two
   * writers never wait on each other in a circle), and releases them after.
   * Throws LockBusyError when a lock stays taken for the whole wait.
   */
  async withLocks<T>(keys: string[], work: () => Promise<T>): Promise<T> {
    const held: HeldLease[] = [];
    const leaveQueues: Array<() => void> = [];
    const deadline = this.#now() + this.#waitMs;
    try {
      for (const key of [...new Set(keys)].sort()) {
        leaveQueues.push(await this.#queue(key, deadline));
        held.push(await this.#acquire(key, deadline));
      }
      return await work();
    } finally {
      // Releasing is best effort: a lock left behind expires with its lease.
      await Promise.all(held.map((lock) => endLease(this.#store, lock, this.#now()).catch(() => undefined)));
      for (const leave of leaveQueues) leave();
    }
  }

  /**
   * Waits for this process's earlier writers of `key` (until `deadline`:
   * LockBusyError). Answers how to leave the queue, which lets the next one in.
   */
  async #queue(key: string, deadline: number): Promise<() => void> {
    const ahead = this.#queues.get(key) ?? Promise.resolve();
    let leave!: () => void;
    const done = new Promise<void>((resolve) => (leave = resolve));
    const end = ahead.then(() => done);
    this.#queues.set(key, end);
    const leaveQueue = () => {
      leave();
      if (this.#queues.get(key) === end) this.#queues.delete(key);
    };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = await Promise.race([
      ahead.then(() => "ours" as const),
      new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), Math.max(0, deadline - this.#now())))),
    ]);
    clearTimeout(timer);
    if (waited === "late") {
      // Those behind us wait only for those ahead of us.
      leaveQueue();
      throw new LockBusyError(key);
    }
    return leaveQueue;
  }

  async #acquire(key: string, deadline: number): Promise<HeldLease> {
    const lockKey = `lock:${key}`;
    const metadata = { ttlInSeconds: String(Math.ceil(this.#leaseMs / 1000) + 1) };
    const holder = crypto.randomUUID();
    for (let attempt = 0; ; attempt++) {
      const now = this.#now();
      const lease = await acquireLease<LockValue>(this.#store, lockKey, { holder, held_until: now + this.#leaseMs }, {
        metadata,
        expired: (current) => current.held_until < now,
        now,
        leaseMs: this.#leaseMs,
      });
      if (lease.held) return lease.lease;
      if (this.#now() >= deadline) throw new LockBusyError(key);
      // Back off with jitter, so that waiting writers do not collide again.
      await this.#sleep(Math.min(200, 10 * 2 ** Math.min(attempt, 4)) * (0.5 + Math.random()));
    }
  }
}
