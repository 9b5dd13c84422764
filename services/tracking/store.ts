/**
 * Shipments in the tracking service's state store: the shipment documents,
 * an order's shipment (or the tombstone of an order cancelled before it had
 * one), tracking numbers, and the active shipments of each courier.
 *
 * Locks are always taken in one order (courier loads, then an order's entry,
 * then a shipment) so that writers never wait on each other in a circle.
 */
import type { DomainEvent } from "../contracts/events.ts";
import type { KeyLocks } from "../kit/coordination/locks.ts";
import type { OutboxStore, StateEntry } from "../kit/ports/ports.ts";
import type { ScanStatus } from "../contracts/api/shipments.ts";
import type { Position, Shipment } from "./domain.ts";
import {
  cancelShipment,
  createShipment,
  isActive,
  leastLoadedCourier,
  moveShipment,
  scanShipment,
  shipmentCreated,
  shipmentLocationUpdated,
  shipmentStatusChanged,
  trackingNumberFrom,
} from "./domain.ts";

export const shipmentKey = (id: string) => `shipment:${id}`;
const orderShipmentKey = (orderId: string) => `order-shipment:${orderId}`;
const trackingKey = (number: string) => `tracking:${number}`;
const COURIER_LOADS = "courier-loads";

/** An order's shipment as planned (ids chosen, courier assigned), or the tombstone of a cancelled order. */
interface OrderShipment {
  order_id: string;
  shipment_id?: string;
  tracking_number?: string;
  courier?: string;
  cancelled?: boolean;
}

interface CourierLoads {
  /** Active shipment ids per courier. */
  active: Record<string, string[]>;
}

export interface ShipmentOrder {
  order_id: string;
  origin_address: string;
  destination_address: string;
}

export class Shipments {
  readonly #store: OutboxStore<DomainEvent>;
  readonly #locks: KeyLocks;
  readonly #couriers: readonly string[];
  readonly #now: () => Date;

  constructor(store: OutboxStore<DomainEvent>, locks: KeyLocks, couriers: readonly string[], now: () => Date) {
    this.#store = store;
    this.#locks = locks;
    this.#couriers = couriers;
    this.#now = now;
  }

  async find(id: string): Promise<Shipment | undefined> {
    return (await this.#store.get<Shipment>(shipmentKey(id)))?.value;
  }

  async forOrder(orderId: string): Promise<Shipment[]> {
    const entry = (await this.#store.get<OrderShipment>(orderShipmentKey(orderId)))?.value;
    if (!entry?.shipment_id) return [];
    const shipment = await this.find(entry.shipment_id);
    return shipment ? [shipment] : [];
  }

  async byTrackingNumber(number: string): Promise<Shipment | undefined> {
    const entry = (await this.#store.get<{ shipment_id: string }>(trackingKey(number)))?.value;
    return entry ? this.find(entry.shipment_id) : undefined;
  }

  /** The ids of every shipment a courier still has to finish. */
  async activeIds(): Promise<string[]> {
    const loads = await this.#store.get<CourierLoads>(COURIER_LOADS);
    return Object.values(loads?.value.active ?? {}).flat();
  }

  /**
   * Creates the shipment of a confirmed order, once, with the least loaded
   * courier. The plan (ids, courier) is written first and reused by a retry,
   * so a failure between the steps never makes a second shipment.
   */
  async createFor(order: ShipmentOrder): Promise<"created" | "exists" | "order-cancelled"> {
    const entryKey = orderShipmentKey(order.order_id);
    return this.#locks.withLocks([COURIER_LOADS, entryKey], async () => {
      const entry = (await this.#store.get<OrderShipment>(entryKey))?.value;
      if (entry?.cancelled) return "order-cancelled";
      if (entry?.shipment_id && (await this.find(entry.shipment_id))) return "exists";
      const loads = await this.#store.get<CourierLoads>(COURIER_LOADS);
      const active = loads?.value.active ?? {};
      const uuid = crypto.randomUUID();
      const plan = {
        shipment_id: entry?.shipment_id ?? uuid,
        tracking_number: entry?.tracking_number ?? trackingNumberFrom(uuid),
        courier: entry?.courier ?? leastLoadedCourier(this.#couriers, active),
      };
      await this.#store.save(entryKey, { order_id: order.order_id, ...plan } satisfies OrderShipment);
      await this.#store.save(trackingKey(plan.tracking_number), { shipment_id: plan.shipment_id });
      const mine = active[plan.courier] ?? [];
      if (!mine.includes(plan.shipment_id)) {
        await this.#store.save(COURIER_LOADS, { active: { ...active, [plan.courier]: [...mine, plan.shipment_id] } } satisfies CourierLoads);
      }
      const shipment = createShipment(order, plan, this.#now());
      const key = shipmentKey(shipment.id);
      await this.#store.commit([{ operation: "upsert", key, value: shipment }], [{ key, ...shipmentCreated(shipment) }]);
      return "created";
    });
  }

  /**
   * Cancels the order's shipment if it was not picked up; an order with no
   * shipment yet gets a tombstone, so that none is ever created for it.
   * Throws IllegalShipmentTransition once the parcel was picked up.
   */
  async cancelFor(orderId: string): Promise<"cancelled" | "no-shipment"> {
    const entryKey = orderShipmentKey(orderId);
    return this.#locks.withLocks([COURIER_LOADS, entryKey], async () => {
      const entry = (await this.#store.get<OrderShipment>(entryKey))?.value;
      if (!entry?.shipment_id) {
        if (!entry) await this.#store.save(entryKey, { order_id: orderId, cancelled: true } satisfies OrderShipment);
        return "no-shipment";
      }
      const shipmentId = entry.shipment_id;
      return this.#change(shipmentId, async (current) => {
        if (!current) {
          // Planned but never written: the plan becomes a tombstone.
          await this.#store.save(entryKey, { order_id: orderId, cancelled: true } satisfies OrderShipment);
          return "no-shipment";
        }
        if (current.value.status === "cancelled") return "cancelled";
        const shipment = cancelShipment(current.value, this.#now());
        await this.#commitStatus(current, shipment);
        await this.#releaseCourier(shipment);
        return "cancelled";
      });
    });
  }

  /** Applies a courier scan; undefined for an unknown shipment, IllegalShipmentTransition when out of order. */
  async scan(id: string, scan: { status: ScanStatus; location?: string; note?: string }): Promise<Shipment | undefined> {
    // Only a delivery frees the courier; only then is their load locked too.
    const keys = scan.status === "delivered" ? [COURIER_LOADS] : [];
    return this.#locks.withLocks(keys, () =>
      this.#change(id, async (current) => {
        if (!current) return undefined;
        const shipment = scanShipment(current.value, scan, this.#now());
        await this.#commitStatus(current, shipment);
        if (!isActive(shipment)) await this.#releaseCourier(shipment);
        return shipment;
      }),
    );
  }

  /** Records a position; undefined for an unknown shipment. */
  async move(id: string, position: Omit<Position, "at">): Promise<Shipment | undefined> {
    return this.#change(id, async (current) => {
      if (!current) return undefined;
      const shipment = moveShipment(current.value, position, this.#now());
      const event = { key: current.key, ...shipmentLocationUpdated(shipment) };
      await this.#store.commit([{ operation: "upsert", key: current.key, value: shipment, etag: current.etag }], [event]);
      return shipment;
    });
  }

  async #change<T>(id: string, work: (current: StateEntry<Shipment> | undefined) => Promise<T>): Promise<T> {
    const key = shipmentKey(id);
    return this.#locks.withLocks([key], async () => work(await this.#store.get<Shipment>(key)));
  }

  async #commitStatus(current: StateEntry<Shipment>, shipment: Shipment): Promise<void> {
    await this.#store.commit(
      [{ operation: "upsert", key: current.key, value: shipment, etag: current.etag }],
      [{ key: current.key, ...shipmentStatusChanged(shipment) }],
    );
  }

  /** Takes a finished shipment off its courier (the caller holds the loads' lock). */
  async #releaseCourier(shipment: Shipment): Promise<void> {
    const loads = await this.#store.get<CourierLoads>(COURIER_LOADS);
    const mine = loads?.value.active[shipment.courier] ?? [];
    if (!loads || !mine.includes(shipment.id)) return;
    const active = { ...loads.value.active, [shipment.courier]: mine.filter((id) => id !== shipment.id) };
    await this.#store.save(COURIER_LOADS, { active } satisfies CourierLoads);
  }
}
