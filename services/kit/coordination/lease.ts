/**
 * A lease on a state key: an insert-only write (atomic on every store), which
 * another writer may take over once the holder's lease ran out. Key locks
 * (locks.ts) and event claims (event-claims.ts) are both leases; they differ
 * in what their value says and in when it may be taken over.
 *
 * Deleting a lease needs no guard while the lease is surely still ours:
 * nobody may take it over before it ran out. "Surely" is the first half of
 * the lease, which leaves the other half for clocks of other machines that run
 * ahead; past that, the delete is guarded by the ETag of a value still ours.
 * So a lock costs two store round trips (write it, delete it), not three.
 * Writing a lease's final value is always guarded: Dapr's Redis store refuses
 * to overwrite a key written insert-only unless the write names its ETag.
 */
import { EtagMismatchError } from "../ports/errors.ts";
import type { StateStore } from "../ports/ports.ts";

/** A lease's value names its holder, which tells ours from a racing takeover. */
export interface LeaseValue {
  holder: string;
}

/** A lease this writer holds. */
export interface HeldLease {
  key: string;
  holder: string;
  /** When it was taken (epoch ms, the holder's clock). */
  since: number;
  /** How long it lasts from then. */
  leaseMs: number;
}

/** Held: the lease. Not held: what holds the key, when it could be read. */
export type LeaseResult<T> = { held: true; lease: HeldLease } | { held: false; current?: T };

export interface LeaseOptions<T> {
  /** Write metadata (the store's TTL for the key, say). */
  metadata: Record<string, string>;
  /** Whether the value found on the key may be taken over: its holder's lease ran out. */
  expired: (current: T) => boolean;
  /** When the lease is taken (epoch ms) and how long it lasts. */
  now: number;
  leaseMs: number;
}

/** Writes `value` on `key` unless another holder's lease is in force there. */
export async function acquireLease<T extends LeaseValue>(store: StateStore, key: string, value: T, options: LeaseOptions<T>): Promise<LeaseResult<T>> {
  const lease: HeldLease = { key, holder: value.holder, since: options.now, leaseMs: options.leaseMs };
  try {
    await store.save(key, value, { onlyIfAbsent: true, metadata: options.metadata });
    return { held: true, lease };
  } catch (err) {
    if (!(err instanceof EtagMismatchError)) throw err;
  }
  const current = await store.get<T>(key);
  if (!current) return { held: false };
  if (!options.expired(current.value)) return { held: false, current: current.value };
  // The holder's lease ran out: it died or hangs. Take the key over.
  try {
    await store.save(key, value, { etag: current.etag, metadata: options.metadata });
    return { held: true, lease };
  } catch (takeover) {
    if (takeover instanceof EtagMismatchError) return { held: false };
    throw takeover;
  }
}

/**
 * Ends a lease: deletes the key, or writes `final` over it. Answers false when
 * the lease turned out to be another holder's by then (it ran out and was
 * taken over), in which case nothing was written.
 */
export async function endLease(
  store: StateStore,
  lease: HeldLease,
  now: number,
  final?: { value: LeaseValue; metadata?: Record<string, string> },
): Promise<boolean> {
  let etag: string | undefined;
  if (final || now - lease.since >= lease.leaseMs / 2) {
    const current = await store.get<LeaseValue>(lease.key);
    if (current?.value.holder !== lease.holder) return false;
    etag = current.etag;
  }
  try {
    if (final) await store.save(lease.key, final.value, { ...(etag ? { etag } : {}), ...(final.metadata ? { metadata: final.metadata } : {}) });
    else await store.delete(lease.key, etag ? { etag } : {});
    return true;
  } catch (err) {
    if (err instanceof EtagMismatchError) return false;
    throw err;
  }
}
