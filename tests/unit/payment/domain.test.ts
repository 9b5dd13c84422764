import { expect } from "chai";
import { chargeOrder, DECLINED_CARD, publicCharge, REQUIRES_ACTION_CARD, settleEndedOrder } from "../../../services/payment/domain.ts";
import type { Charge } from "../../../services/payment/domain.ts";
import type { ChargeStatus } from "../../../services/contracts/api/payments.ts";

const NOW = new Date("2026-03-01T10:00:00.000Z");
const LATER = new Date("2026-03-01T11:00:00.000Z");

function charge(status: ChargeStatus): Charge {
  return { id: "pay-1", order_id: "o-1", amount: 12.5, currency: "EUR", status, created_at: NOW.toISOString(), updated_at: NOW.toISOString() };
}

describe("payment domain", () => {
  describe("chargeOrder", () => {
    it("declines tok_declined for insufficient funds", () => {
      expect(chargeOrder("o-1", 12.5, "EUR", DECLINED_CARD, "pay-1", NOW)).to.deep.equal({
        ...charge("declined"),
        decline_reason: "insufficient_funds",
      });
    });

    it("leaves tok_requires_action waiting in requires_action", () => {
      expect(chargeOrder("o-1", 12.5, "EUR", REQUIRES_ACTION_CARD, "pay-1", NOW)).to.deep.equal(charge("requires_action"));
    });

    it("captures any other token", () => {
      expect(chargeOrder("o-1", 12.5, "EUR", "tok_visa", "pay-1", NOW)).to.deep.equal(charge("captured"));
    });

    it("captures a charge with no token", () => {
      expect(chargeOrder("o-1", 12.5, "EUR", undefined, "pay-1", NOW)).to.deep.equal(charge("captured"));
    });

    it("names the test cards as the design does", () => {
      expect([DECLINED_CARD, REQUIRES_ACTION_CARD]).to.deep.equal(["tok_declined", "tok_requires_action"]);
    });
  });

  describe("settleEndedOrder", () => {
    it("refunds a captured charge", () => {
      expect(settleEndedOrder(charge("captured"), "o-1", "pay-2", "EUR", LATER)).to.deep.equal({
        kind: "refund",
        charge: { ...charge("refunded"), updated_at: LATER.toISOString() },
      });
    });

    it("voids a charge waiting in requires_action", () => {
      expect(settleEndedOrder(charge("requires_action"), "o-1", "pay-2", "EUR", LATER)).to.deep.equal({
        kind: "void",
        charge: { ...charge("voided"), updated_at: LATER.toISOString() },
      });
    });

    it("leaves a voided tombstone of amount 0 for an order never charged", () => {
      expect(settleEndedOrder(undefined, "o-1", "pay-2", "EUR", LATER)).to.deep.equal({
        kind: "tombstone",
        charge: {
          id: "pay-2",
          order_id: "o-1",
          amount: 0,
          currency: "EUR",
          status: "voided",
          created_at: LATER.toISOString(),
          updated_at: LATER.toISOString(),
          tombstone: true,
        },
      });
    });

    for (const status of ["declined", "refunded", "voided"] as const) {
      it(`does nothing for a ${status} charge`, () => {
        expect(settleEndedOrder(charge(status), "o-1", "pay-2", "EUR", LATER)).to.deep.equal({ kind: "nothing" });
      });
    }
  });

  describe("publicCharge", () => {
    it("hides the tombstone flag", () => {
      const settled = settleEndedOrder(undefined, "o-1", "pay-2", "EUR", LATER);
      if (settled.kind !== "tombstone") throw new Error("expected a tombstone");
      const visible = publicCharge(settled.charge);
      expect(visible).to.not.have.property("tombstone");
      expect(visible).to.deep.include({ id: "pay-2", status: "voided", amount: 0 });
    });

    it("shows every other field of a charge", () => {
      expect(publicCharge(charge("captured"))).to.deep.equal(charge("captured"));
    });
  });
});
