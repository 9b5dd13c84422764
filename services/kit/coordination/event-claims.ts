/**
 * Applying each CloudEvent id at most once. Before its handler runs, a
 * delivery claims the event with an insert-only write of a marker key (an
 * atomic single-key write on every store); a second delivery of the same id
 * finds the marker and is acknowledged without effect or, while the first is
 * still at work, asked to come again. A handler that fails gives its claim
 * back so that the redelivery applies the event. A claim whose holder died is
 * taken over after its lease; for that window, handlers keep their own effects
 * idempotent by business key (one reservation per order, say).
 */
import type { CloudEvent } from "../events/cloudevents.ts";
import { acquireLease, endLease } from "./lease.ts";
import type { HeldLease } from "./lease.ts";
import type { StateStore } from "../ports/ports.ts";

/** What the marker of an event records. */
export interface AppliedMarker {
  event_id: string;
  type: string;
  /** The delivery that claimed it. */
  holder: string;
  state: "claimed" | "applied";
  /** Epoch ms until which a claim holds (0 once applied). */
  claimed_until: number;
}

/** The outcome of claiming an event: ours to apply, already applied, or held by another delivery. */
export type Claim = { outcome: "claimed"; lease: HeldLease; event: CloudEvent } | { outcome: "applied" } | { outcome: "busy" };

export interface EventClaimOptions {
  /** How long a claim holds before another delivery may take the event over. */
  leaseMs: number;
  /** How long markers are kept; redeliveries later than this are not recognised. */
  ttlSeconds: number;
  now: () => number;
}

/** The key of the marker that records an event of `topic` as applied. */
export function appliedMarkerKey(topic: string, eventId: string): string {
  return `applied:${topic}:${eventId}`;
}

function markerValue(event: CloudEvent, holder: string, state: AppliedMarker["state"], claimedUntil: number): AppliedMarker {
  return { event_id: event.id, type: event.type, holder, state, claimed_until: claimedUntil };
}

/** Claims, completes and releases events through markers in a state store. */
export class EventClaims {
  readonly #store: StateStore;
  readonly #options: EventClaimOptions;
  readonly #metadata: Record<string, string>;

  constructor(store: StateStore, options: EventClaimOptions) {
    this.#store = store;
    this.#options = options;
    this.#metadata = { ttlInSeconds: String(options.ttlSeconds) };
  }

  /** Claims `event` of `topic` for this delivery. */
  async claim(topic: string, event: CloudEvent): Promise<Claim> {
    const key = appliedMarkerKey(topic, event.id);
    const holder = crypto.randomUUID();
    const now = this.#options.now();
    const lease = await acquireLease(this.#store, key, markerValue(event, holder, "claimed", now + this.#options.leaseMs), {
      metadata: this.#metadata,
      expired: (marker: AppliedMarker) => marker.state === "claimed" && marker.claimed_until <= now,
      now,
      leaseMs: this.#options.leaseMs,
    });
    if (lease.held) return { outcome: "claimed", lease: lease.lease, event };
    return lease.current?.state === "applied" ? { outcome: "applied" } : { outcome: "busy" };
  }

  /**
   * Records the claimed event as applied. Answers false when the claim ran
   * out and another delivery took the event over, which then records it.
   */
  async complete(claim: Extract<Claim, { outcome: "claimed" }>): Promise<boolean> {
    const applied = markerValue(claim.event, claim.lease.holder, "applied", 0);
    return endLease(this.#store, claim.lease, this.#options.now(), { value: applied, metadata: this.#metadata });
  }

  /** Gives the claim back, so that a redelivery applies the event. */
  async release(claim: Extract<Claim, { outcome: "claimed" }>): Promise<void> {
    await endLease(this.#store, claim.lease, this.#options.now());
  }
}
