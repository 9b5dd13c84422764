/**
 * The invariants of the saga (docs/architecture.md#invariants), checked over everything the suite
 * did once the system is idle: no order lost, none stuck, money and stock
 * adding up (tests/support/invariants.ts, which the fault suite checks too).
 * It prints the figures it checked.
 */
import { expect } from "chai";
import { system } from "../../support/system-hooks.ts";
import { checkInvariants, settle } from "../../support/invariants.ts";
import { ledger, suiteClock } from "../shop.ts";

describe("e2e: the invariants over everything the suite did", function () {
  this.timeout(180_000);

  it("loses no order, leaves none stuck, and money and stock add up", async () => {
    // Idle: nothing pending or processing (confirmed and shipped orders wait on a courier).
    const outcome = await settle(system().gatewayUrl, ledger, 60_000);
    const report = await checkInvariants(system().gatewayUrl, ledger, outcome.orders);
    expect(report.violations).to.deep.equal([]);
    console.log(
      `      invariants held over ${report.orders} orders (${ledger.orders.size} placed by the e2e suite) ${JSON.stringify(report.byStatus)}; ` +
        `${ledger.stocked.size} SKUs; captured ${(report.captured / 100).toFixed(2)}, refunded ${(report.refunded / 100).toFixed(2)}, ` +
        `owed by confirmed/shipped/delivered orders ${(report.owed / 100).toFixed(2)}; the e2e suite took ${((Date.now() - suiteClock.startedAt) / 1000).toFixed(1)} s`,
    );
  });
});
