/**
 * A lease on a state key: an insert-only write (atomic on every store), which
 * another writer may take over once the holder's lease ran out. Key locks
 * (locks.ts) and event claims (event-claims.ts) are both leases; they differ
 * in what their value says and in when it may be taken over.
 */
import { EtagMismatchError } from "../ports/errors.ts";
import type { StateStore } from "../ports/ports.ts";

/** A lease's value names its holder, which tells ours from a racing takeover. */
export interface LeaseValue {
  holder: string;
}

/** Held: the ETag to release or update it with. Not held: what holds the key, when it could be read. */
export type LeaseResult<T> = { held: true; etag: string } | { held: false; current?: T };

export interface LeaseOptions<T> {
  /** Write metadata (the store's TTL for the key, say). */
  metadata: Record<string, string>;
  /** Whether the value found on the key may be taken over: its holder's lease ran out. */
  expired: (current: T) => boolean;
}

/** Writes `value` on `key` unless another holder's lease is in force there. */
export async function acquireLease<T extends LeaseValue>(store: StateStore, key: string, value: T, options: LeaseOptions<T>): Promise<LeaseResult<T>> {
  try {
    await store.save(key, value, { onlyIfAbsent: true, metadata: options.metadata });
  } catch (err) {
    if (!(err instanceof EtagMismatchError)) throw err;
    const current = await store.get<T>(key);
    if (!current) return { held: false };
    if (!options.expired(current.value)) return { held: false, current: current.value };
    // The holder's lease ran out: it died or hangs. Take the key over.
    try {
      await store.save(key, value, { etag: current.etag, metadata: options.metadata });
    } catch (takeover) {
      if (takeover instanceof EtagMismatchError) return { held: false };
      throw takeover;
    }
  }
  // Saves do not return the new ETag, which releasing and updating need.
  const mine = await store.get<T>(key);
  if (mine?.value.holder === value.holder) return { held: true, etag: mine.etag };
  return mine ? { held: false, current: mine.value } : { held: false };
}
