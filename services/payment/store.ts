/**
 * Charges in the payment service's state store, one per order, each changed
 * under the order's charge lock and committed with its event (outbox).
 */
import type { DomainEvent } from "../contracts/events.ts";
import type { KeyLocks } from "../kit/coordination/locks.ts";
import { publishAgain } from "../contracts/events.ts";
import type { EventPublisher, OutboxStore, StateEntry } from "../kit/ports/ports.ts";
import type { Charge } from "./domain.ts";
import { chargeOrder, paymentEvent, settleEndedOrder } from "./domain.ts";

export const chargeKey = (orderId: string) => `charge:${orderId}`;

export class Payments {
  readonly #store: OutboxStore<DomainEvent>;
  readonly #locks: KeyLocks;
  readonly #now: () => Date;
  readonly #publisher: EventPublisher;

  constructor(store: OutboxStore<DomainEvent>, locks: KeyLocks, now: () => Date, publisher: EventPublisher) {
    this.#store = store;
    this.#locks = locks;
    this.#now = now;
    this.#publisher = publisher;
  }

  async forOrder(orderId: string): Promise<Charge | undefined> {
    return (await this.#store.get<Charge>(chargeKey(orderId)))?.value;
  }

  /**
   * Charges the order once: a charge that exists (or its tombstone) is never
   * made again. Asked again (the order re-announced because it saw no
   * answer), a captured or declined charge has its outcome said again,
   * straight to the topic; one refunded or voided since has nothing to add.
   */
  async charge(orderId: string, amount: number, currency: string, cardToken: string | undefined): Promise<Charge["status"] | "already-decided"> {
    const decided = await this.#withCharge(orderId, async (current) => {
      if (current) return current.value;
      const charge = chargeOrder(orderId, amount, currency, cardToken, `pay_${crypto.randomUUID()}`, this.#now());
      await this.#write(undefined, charge);
      return charge.status;
    });
    if (typeof decided === "string") return decided;
    const again = decided.status === "captured" || decided.status === "declined" ? paymentEvent(decided) : undefined;
    if (again) await publishAgain(this.#publisher, again);
    return "already-decided";
  }

  /** Refunds, voids or forecloses the charge of an order that was cancelled or failed. */
  async settleEnded(orderId: string, currency: string): Promise<string> {
    return this.#withCharge(orderId, async (current) => {
      const settlement = settleEndedOrder(current?.value, orderId, `pay_${crypto.randomUUID()}`, currency, this.#now());
      if (settlement.kind === "nothing") return "nothing";
      await this.#write(current, settlement.charge);
      return settlement.kind;
    });
  }

  async #withCharge<T>(orderId: string, work: (current: StateEntry<Charge> | undefined) => Promise<T>): Promise<T> {
    const key = chargeKey(orderId);
    return this.#locks.withLocks([key], async () => work(await this.#store.get<Charge>(key)));
  }

  /** Writes the charge, with the event its status calls for (none for pending or voided ones). */
  async #write(current: StateEntry<Charge> | undefined, charge: Charge): Promise<void> {
    const key = chargeKey(charge.order_id);
    const event = paymentEvent(charge);
    const guard = current ? { etag: current.etag } : { onlyIfAbsent: true };
    if (!event) return this.#store.save(key, charge, guard);
    await this.#store.commit([{ operation: "upsert", key, value: charge, ...(current ? { etag: current.etag } : {}) }], [{ key, ...event }]);
  }
}
