import { expect } from "chai";
import {
  commitReservation,
  DEFAULT_LOW_STOCK_THRESHOLD,
  fellBelowThreshold,
  putItem,
  releaseReservation,
  reserveStock,
  restock,
  StockRuleError,
} from "../../../services/inventory/domain.ts";
import type { Reservation, StockItem } from "../../../services/inventory/domain.ts";

const NOW = new Date("2026-03-01T10:00:00.000Z");
const LATER = new Date("2026-03-01T10:05:00.000Z");

function item(sku: string, fields: Partial<StockItem> = {}): StockItem {
  return {
    sku,
    item_name: `Item ${sku}`,
    unit_price: 1,
    currency: "EUR",
    on_hand: 10,
    reserved: 0,
    low_stock_threshold: 5,
    updated_at: "2026-01-01T00:00:00.000Z",
    ...fields,
  };
}

function stock(...items: StockItem[]): Map<string, StockItem> {
  return new Map(items.map((i) => [i.sku, i]));
}

function reserved(lines: Array<{ sku: string; quantity: number }>, fields: Partial<Reservation> = {}): Reservation {
  return {
    order_id: "o-1",
    status: "reserved",
    lines: lines.map((l) => ({ ...l, item_name: `Item ${l.sku}`, unit_price: 1 })),
    total_amount: 0,
    currency: "EUR",
    created_at: NOW.toISOString(),
    updated_at: NOW.toISOString(),
    ...fields,
  };
}

describe("inventory domain", () => {
  describe("reserveStock", () => {
    it("reserves every line, raising reserved by each quantity and leaving on_hand as it was", () => {
      const outcome = reserveStock("o-1", [{ sku: "A", quantity: 2 }, { sku: "B", quantity: 3 }], stock(item("A", { reserved: 1 }), item("B")), NOW, 600, "EUR");
      expect(outcome.kind).to.equal("reserved");
      if (outcome.kind !== "reserved") return;
      expect(outcome.items.map((i) => ({ sku: i.sku, on_hand: i.on_hand, reserved: i.reserved, updated_at: i.updated_at }))).to.deep.equal([
        { sku: "A", on_hand: 10, reserved: 3, updated_at: NOW.toISOString() },
        { sku: "B", on_hand: 10, reserved: 3, updated_at: NOW.toISOString() },
      ]);
      expect(outcome.reservation).to.include({ order_id: "o-1", status: "reserved", currency: "EUR", created_at: NOW.toISOString() });
    });

    it("records each line with the item's name and unit price", () => {
      const outcome = reserveStock("o-1", [{ sku: "A", quantity: 2 }], stock(item("A", { item_name: "Bolt", unit_price: 4.25 })), NOW, 600, "EUR");
      expect(outcome.reservation.lines).to.deep.equal([{ sku: "A", item_name: "Bolt", quantity: 2, unit_price: 4.25 }]);
    });

    it("adds up lines of the same SKU into one line, in first-seen order", () => {
      const outcome = reserveStock(
        "o-1",
        [{ sku: "B", quantity: 1 }, { sku: "A", quantity: 2 }, { sku: "B", quantity: 4 }],
        stock(item("A"), item("B")),
        NOW,
        600,
        "EUR",
      );
      expect(outcome.reservation.lines.map((l) => [l.sku, l.quantity])).to.deep.equal([["B", 5], ["A", 2]]);
      expect(outcome.kind === "reserved" && outcome.items.find((i) => i.sku === "B")!.reserved).to.equal(5);
    });

    it("rejects duplicate lines whose sum exceeds available stock although each alone fits", () => {
      const outcome = reserveStock("o-1", [{ sku: "A", quantity: 3 }, { sku: "A", quantity: 3 }], stock(item("A", { on_hand: 5 })), NOW, 600, "EUR");
      expect(outcome.kind).to.equal("rejected");
      expect(outcome.reservation).to.deep.include({ reason: "out_of_stock", rejected_skus: ["A"] });
    });

    it("totals in exact cents: 3 × 0.1 is 0.3", () => {
      const outcome = reserveStock("o-1", [{ sku: "A", quantity: 3 }], stock(item("A", { unit_price: 0.1 })), NOW, 600, "EUR");
      expect(outcome.reservation.total_amount).to.equal(0.3);
    });

    it("totals several lines in exact cents: 0.1 + 0.2 is 0.3", () => {
      const outcome = reserveStock(
        "o-1",
        [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 1 }],
        stock(item("A", { unit_price: 0.1 }), item("B", { unit_price: 0.2 })),
        NOW,
        600,
        "EUR",
      );
      expect(outcome.reservation.total_amount).to.equal(0.3);
    });

    it("sets expires_at to now plus the ttl", () => {
      const outcome = reserveStock("o-1", [{ sku: "A", quantity: 1 }], stock(item("A")), NOW, 900, "EUR");
      expect(outcome.reservation.expires_at).to.equal("2026-03-01T10:15:00.000Z");
    });

    it("reserves exactly the available stock (on_hand minus reserved)", () => {
      const outcome = reserveStock("o-1", [{ sku: "A", quantity: 4 }], stock(item("A", { on_hand: 10, reserved: 6 })), NOW, 600, "EUR");
      expect(outcome.kind).to.equal("reserved");
    });

    it("rejects the whole order as out_of_stock when one line is short, changing no item", () => {
      const outcome = reserveStock("o-1", [{ sku: "A", quantity: 1 }, { sku: "B", quantity: 5 }], stock(item("A"), item("B", { on_hand: 10, reserved: 6 })), NOW, 600, "EUR");
      expect(outcome).to.deep.equal({
        kind: "rejected",
        reservation: {
          order_id: "o-1",
          status: "rejected",
          lines: [],
          total_amount: 0,
          currency: "EUR",
          reason: "out_of_stock",
          rejected_skus: ["B"],
          created_at: NOW.toISOString(),
          updated_at: NOW.toISOString(),
        },
        events: [{ type: "inventory.rejected", data: { order_id: "o-1", reason: "out_of_stock", skus: ["B"] } }],
      });
    });

    it("rejects as unknown_sku naming only the unknown SKUs when another line is also out of stock", () => {
      const outcome = reserveStock("o-1", [{ sku: "A", quantity: 99 }, { sku: "X", quantity: 1 }, { sku: "Y", quantity: 1 }], stock(item("A")), NOW, 600, "EUR");
      expect(outcome.kind).to.equal("rejected");
      expect(outcome.reservation).to.deep.include({ reason: "unknown_sku", rejected_skus: ["X", "Y"] });
    });

    it("does not change the items it was given", () => {
      const items = stock(item("A"));
      reserveStock("o-1", [{ sku: "A", quantity: 2 }], items, NOW, 600, "EUR");
      expect(items.get("A")!.reserved).to.equal(0);
    });
  });

  describe("releaseReservation", () => {
    it("gives a held reservation's stock back and marks it released with the reason", () => {
      const result = releaseReservation(reserved([{ sku: "A", quantity: 2 }]), stock(item("A", { reserved: 5 })), "payment_declined", LATER);
      expect(result!.reservation).to.include({ status: "released", reason: "payment_declined", updated_at: LATER.toISOString() });
      expect(result!.items.map((i) => [i.sku, i.on_hand, i.reserved])).to.deep.equal([["A", 10, 3]]);
    });

    it("never drives reserved below zero", () => {
      const result = releaseReservation(reserved([{ sku: "A", quantity: 4 }]), stock(item("A", { reserved: 1 })), "cancelled", LATER);
      expect(result!.items[0]!.reserved).to.equal(0);
    });

    it("skips an item deleted since the reservation", () => {
      const result = releaseReservation(reserved([{ sku: "A", quantity: 1 }, { sku: "GONE", quantity: 1 }]), stock(item("A", { reserved: 1 })), "cancelled", LATER);
      expect(result!.items.map((i) => i.sku)).to.deep.equal(["A"]);
    });

    for (const status of ["committed", "released", "rejected", "cancelled"] as const) {
      it(`does nothing for a ${status} reservation`, () => {
        expect(releaseReservation(reserved([{ sku: "A", quantity: 1 }], { status }), stock(item("A", { reserved: 1 })), "cancelled", LATER)).to.equal(undefined);
      });
    }
  });

  describe("commitReservation", () => {
    it("turns a held reservation into a decrement of on_hand and reserved", () => {
      const result = commitReservation(reserved([{ sku: "A", quantity: 2 }]), stock(item("A", { on_hand: 10, reserved: 3 })), LATER);
      expect(result!.reservation).to.include({ status: "committed", updated_at: LATER.toISOString() });
      expect(result!.items.map((i) => [i.sku, i.on_hand, i.reserved, i.updated_at])).to.deep.equal([["A", 8, 1, LATER.toISOString()]]);
    });

    it("never drives on_hand or reserved below zero", () => {
      const result = commitReservation(reserved([{ sku: "A", quantity: 5 }]), stock(item("A", { on_hand: 3, reserved: 2 })), LATER);
      expect(result!.items.map((i) => [i.on_hand, i.reserved])).to.deep.equal([[0, 0]]);
    });

    for (const status of ["committed", "released", "rejected", "cancelled"] as const) {
      it(`does nothing for a ${status} reservation`, () => {
        expect(commitReservation(reserved([{ sku: "A", quantity: 1 }], { status }), stock(item("A", { reserved: 1 })), LATER)).to.equal(undefined);
      });
    }
  });

  describe("fellBelowThreshold", () => {
    it("fires when available crosses from the threshold to below it", () => {
      expect(fellBelowThreshold(item("A", { on_hand: 5 }), item("A", { on_hand: 4 }))).to.equal(true);
    });

    it("does not fire when available was already below the threshold", () => {
      expect(fellBelowThreshold(item("A", { on_hand: 4 }), item("A", { on_hand: 3 }))).to.equal(false);
    });

    it("does not fire when available stays at or above the threshold", () => {
      expect(fellBelowThreshold(item("A", { on_hand: 10 }), item("A", { on_hand: 5 }))).to.equal(false);
    });

    it("counts reserved stock: reserving can take available below the threshold", () => {
      expect(fellBelowThreshold(item("A", { on_hand: 10, reserved: 5 }), item("A", { on_hand: 10, reserved: 6 }))).to.equal(true);
    });

    it("fires for a new item created below its threshold", () => {
      expect(fellBelowThreshold(undefined, item("A", { on_hand: 2 }))).to.equal(true);
    });

    it("does not fire for a new item created at its threshold", () => {
      expect(fellBelowThreshold(undefined, item("A", { on_hand: 5 }))).to.equal(false);
    });
  });

  describe("putItem", () => {
    it("creates an item with nothing reserved and the default threshold", () => {
      expect(putItem("A", { item_name: "Bolt", unit_price: 2.5, on_hand: 7 }, undefined, "EUR", NOW)).to.deep.equal({
        sku: "A",
        item_name: "Bolt",
        unit_price: 2.5,
        currency: "EUR",
        on_hand: 7,
        reserved: 0,
        low_stock_threshold: DEFAULT_LOW_STOCK_THRESHOLD,
        updated_at: NOW.toISOString(),
      });
    });

    it("keeps the stock reserved and the threshold of the item it replaces", () => {
      const next = putItem("A", { item_name: "Nut", unit_price: 1, on_hand: 8 }, item("A", { reserved: 4, low_stock_threshold: 2 }), "EUR", NOW);
      expect(next).to.include({ item_name: "Nut", on_hand: 8, reserved: 4, low_stock_threshold: 2 });
    });

    it("takes a given threshold over the existing one", () => {
      const next = putItem("A", { item_name: "Nut", unit_price: 1, on_hand: 8, low_stock_threshold: 9 }, item("A", { low_stock_threshold: 2 }), "EUR", NOW);
      expect(next.low_stock_threshold).to.equal(9);
    });

    it("accepts on_hand equal to the stock reserved", () => {
      expect(putItem("A", { item_name: "Nut", unit_price: 1, on_hand: 4 }, item("A", { reserved: 4 }), "EUR", NOW).on_hand).to.equal(4);
    });

    it("refuses on_hand below the stock reserved with StockRuleError", () => {
      expect(() => putItem("A", { item_name: "Nut", unit_price: 1, on_hand: 3 }, item("A", { reserved: 4 }), "EUR", NOW)).to.throw(StockRuleError);
    });
  });

  describe("restock", () => {
    it("adds to on_hand, keeps reserved and stamps the time", () => {
      const next = restock(item("A", { on_hand: 3, reserved: 2 }), 5, LATER);
      expect([next.on_hand, next.reserved, next.updated_at]).to.deep.equal([8, 2, LATER.toISOString()]);
    });
  });
});
