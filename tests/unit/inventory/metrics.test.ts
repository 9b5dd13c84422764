import { expect } from "chai";
import { Registry } from "prom-client";
import { domainEvent } from "../../../services/contracts/events.ts";
import { lowStockMetrics, SKU_SERIES } from "../../../services/inventory/metrics.ts";
import { sample } from "../../support/metrics.ts";

describe("inventory metrics", () => {
  it(`labels low-stock alerts by SKU for the first ${SKU_SERIES} SKUs, the rest as other`, async () => {
    const registry = new Registry();
    const observe = lowStockMetrics(registry);
    const low = (sku: string) => domainEvent("inventory.low_stock", { sku, item_name: sku, available: 1, low_stock_threshold: 5 });
    for (let i = 0; i <= SKU_SERIES; i++) observe(low(`SKU-${i}`));
    observe(low("SKU-0"));
    expect(await sample(registry, 'logistics_low_stock_events_total{sku="SKU-0"}')).to.equal(2);
    expect(await sample(registry, `logistics_low_stock_events_total{sku="SKU-${SKU_SERIES}"}`)).to.equal(undefined);
    expect(await sample(registry, 'logistics_low_stock_events_total{sku="other"}')).to.equal(1);
  });
});
