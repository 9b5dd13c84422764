import { expect } from "chai";
import {
  cancelShipment,
  createShipment,
  IllegalShipmentTransition,
  leastLoadedCourier,
  moveShipment,
  publicTracking,
  scanShipment,
  SHIPMENT_TRANSITIONS,
  trackingNumberFrom,
} from "../../../services/tracking/domain.ts";
import type { Shipment } from "../../../services/tracking/domain.ts";
import type { ScanStatus, ShipmentStatus } from "../../../services/contracts/api/shipments.ts";

const NOW = new Date("2026-03-01T10:00:00.000Z");
const LATER = new Date("2026-03-01T12:00:00.000Z");

function newShipment(): Shipment {
  return createShipment(
    { order_id: "o-1", origin_address: "1 Analytical Way", destination_address: "12 Engine Street" },
    { shipment_id: "s-1", tracking_number: "LGX0123456789", courier: "courier-a" },
    NOW,
  );
}

function shipmentIn(status: ShipmentStatus): Shipment {
  return { ...newShipment(), status };
}

describe("tracking domain", () => {
  it("creates a shipment in status created, with its first event and a delivery estimate two days on", () => {
    const shipment = newShipment();
    expect(shipment).to.include({ status: "created", courier: "courier-a", estimated_delivery: "2026-03-03T10:00:00.000Z" });
    expect(shipment.events).to.deep.equal([{ status: "created", at: NOW.toISOString() }]);
  });

  describe("scanShipment", () => {
    it("follows a legal sequence through hub scans and a failed delivery attempt", () => {
      const scans: ScanStatus[] = ["picked_up", "in_transit", "in_transit", "out_for_delivery", "delivery_failed", "out_for_delivery", "delivered"];
      let shipment = newShipment();
      for (const status of scans) shipment = scanShipment(shipment, { status }, LATER);
      expect(shipment.status).to.equal("delivered");
      expect(shipment.events.map((e) => e.status)).to.deep.equal(["created", ...scans]);
    });

    it("records the scan's location and note and stamps the time", () => {
      const shipment = scanShipment(newShipment(), { status: "picked_up", location: "Depot 1", note: "two boxes" }, LATER);
      expect(shipment.events.at(-1)).to.deep.equal({ status: "picked_up", at: LATER.toISOString(), location: "Depot 1", note: "two boxes" });
      expect(shipment.updated_at).to.equal(LATER.toISOString());
    });

    it("throws IllegalShipmentTransition for created → delivered", () => {
      const attempt = () => scanShipment(newShipment(), { status: "delivered" }, LATER);
      expect(attempt).to.throw(IllegalShipmentTransition).with.property("from", "created");
      expect(attempt).to.throw(IllegalShipmentTransition).with.property("to", "delivered");
    });

    it("accepts exactly the scans SHIPMENT_TRANSITIONS allows from every status", () => {
      const scans: ScanStatus[] = ["picked_up", "in_transit", "out_for_delivery", "delivered", "delivery_failed"];
      for (const from of Object.keys(SHIPMENT_TRANSITIONS) as ShipmentStatus[]) {
        for (const to of scans) {
          const allowed = SHIPMENT_TRANSITIONS[from].includes(to);
          const attempt = () => scanShipment(shipmentIn(from), { status: to }, LATER);
          if (allowed) expect(attempt().status, `${from} → ${to}`).to.equal(to);
          else expect(attempt, `${from} → ${to}`).to.throw(IllegalShipmentTransition);
        }
      }
    });

    for (const status of ["delivered", "cancelled"] as const) {
      it(`accepts no scan after ${status}`, () => {
        expect(SHIPMENT_TRANSITIONS[status]).to.deep.equal([]);
        expect(() => scanShipment(shipmentIn(status), { status: "in_transit" }, LATER)).to.throw(IllegalShipmentTransition);
      });
    }
  });

  describe("cancelShipment", () => {
    it("cancels a shipment not yet picked up, noting why", () => {
      const shipment = cancelShipment(newShipment(), LATER);
      expect(shipment.status).to.equal("cancelled");
      expect(shipment.events.at(-1)).to.deep.equal({ status: "cancelled", at: LATER.toISOString(), note: "order cancelled" });
    });

    for (const status of ["picked_up", "in_transit", "out_for_delivery", "delivery_failed", "delivered"] as const) {
      it(`throws IllegalShipmentTransition for a ${status} shipment`, () => {
        expect(() => cancelShipment(shipmentIn(status), LATER)).to.throw(IllegalShipmentTransition);
      });
    }

    it("returns a cancelled shipment unchanged when cancelled again", () => {
      const cancelled = cancelShipment(newShipment(), LATER);
      expect(cancelShipment(cancelled, new Date("2026-03-02T00:00:00.000Z"))).to.equal(cancelled);
    });
  });

  describe("moveShipment", () => {
    it("records the position with the time as last_location", () => {
      const shipment = moveShipment(shipmentIn("in_transit"), { lat: 48.85, lon: 2.35, description: "Paris hub" }, LATER);
      expect(shipment.last_location).to.deep.equal({ lat: 48.85, lon: 2.35, description: "Paris hub", at: LATER.toISOString() });
      expect(shipment.updated_at).to.equal(LATER.toISOString());
    });

    it("moves a shipment that is only created", () => {
      expect(moveShipment(newShipment(), { lat: 1, lon: 2 }, LATER).last_location).to.deep.equal({ lat: 1, lon: 2, at: LATER.toISOString() });
    });

    for (const status of ["delivered", "cancelled"] as const) {
      it(`refuses to move a ${status} shipment with IllegalShipmentTransition`, () => {
        expect(() => moveShipment(shipmentIn(status), { lat: 1, lon: 2 }, LATER)).to.throw(IllegalShipmentTransition);
      });
    }
  });

  describe("leastLoadedCourier", () => {
    it("picks the courier with the fewest active shipments", () => {
      expect(leastLoadedCourier(["a", "b", "c"], { a: ["s1", "s2"], b: ["s3"], c: ["s4", "s5"] })).to.equal("b");
    });

    it("counts a courier missing from the record as having none", () => {
      expect(leastLoadedCourier(["a", "b"], { a: ["s1"] })).to.equal("b");
    });

    it("breaks a tie by pool order", () => {
      expect(leastLoadedCourier(["c", "a", "b"], { a: ["s1"], b: ["s2"], c: ["s3", "s4"] })).to.equal("a");
      expect(leastLoadedCourier(["b", "a"], {})).to.equal("b");
    });

    it("throws for an empty pool", () => {
      expect(() => leastLoadedCourier([], {})).to.throw(Error, "empty");
    });
  });

  describe("trackingNumberFrom", () => {
    it("is LGX and the first ten hex digits of the uuid, upper-cased, without dashes", () => {
      expect(trackingNumberFrom("0a1b2c3d-4e5f-6789-abcd-ef0123456789")).to.equal("LGX0A1B2C3D4E");
    });

    it("has the form LGX plus ten characters for a random uuid", () => {
      expect(trackingNumberFrom(crypto.randomUUID())).to.match(/^LGX[0-9A-F]{10}$/);
    });
  });

  describe("publicTracking", () => {
    it("shows the tracking number, status, events, last location and estimate, and no addresses or ids", () => {
      const shipment = moveShipment(scanShipment(newShipment(), { status: "picked_up" }, LATER), { lat: 1, lon: 2 }, LATER);
      expect(publicTracking(shipment)).to.deep.equal({
        tracking_number: "LGX0123456789",
        status: "picked_up",
        events: shipment.events,
        last_location: { lat: 1, lon: 2, at: LATER.toISOString() },
        estimated_delivery: "2026-03-03T10:00:00.000Z",
      });
    });

    it("leaves last_location out when the shipment has none", () => {
      expect(publicTracking(newShipment())).to.not.have.any.keys("last_location", "origin_address", "destination_address");
    });
  });
});
