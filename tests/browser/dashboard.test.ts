/**
 * The live operations page in a real browser: Chromium (the system's, from
 * Debian's package; CHROMIUM_PATH names another) driven by puppeteer-core,
 * opens /dashboard through the gateway with an operator's token, an order is
 * placed through the API, and the page shows it confirmed, pushed by the
 * stream (the page asks for no summary: nothing is polled). A screenshot is
 * kept in .dapr/test-artifacts/dashboard.png.
 *
 * Chromium talks to this machine only: every host name but the gateway's
 * 127.0.0.1 resolves to nothing, and its background services are off.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { expect } from "chai";
import puppeteer from "puppeteer-core";
import type { Browser, HTTPRequest } from "puppeteer-core";
import { placeOrder, stock, waitForStatus } from "../e2e/shop.ts";
import { devToken } from "../support/credentials.ts";
import { system } from "../support/system-hooks.ts";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOT = join(root, ".dapr", "test-artifacts", "dashboard.png");

describe("the live page in a real browser (Chromium)", function () {
  this.timeout(120_000);
  let browser: Browser | undefined;

  before(async function () {
    this.timeout(60_000);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        // The tests run as root here; Chromium's sandbox refuses root.
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    });
  });

  after(async () => {
    await browser?.close();
  });

  it("shows an order placed through the API, confirmed, within 2 s of its confirmation, pushed by Server-Sent Events", async () => {
    const page = await browser!.newPage();
    await page.setViewport({ width: 1280, height: 1000 });
    const requested: string[] = [];
    page.on("request", (request: HTTPRequest) => requested.push(new URL(request.url()).pathname));
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(String(err)));
    // Each event's arrival, by order and status, on the page's own clock (this machine's).
    await page.evaluateOnNewDocument(() => {
      const seen: Record<string, number> = {};
      (globalThis as unknown as { arrivals: Record<string, number> }).arrivals = seen;
      new MutationObserver((records) => {
        for (const record of records) {
          for (const node of record.addedNodes) {
            const item = node as { dataset?: { order?: string; status?: string } };
            if (item.dataset?.order && item.dataset.status) seen[`${item.dataset.order} ${item.dataset.status}`] ??= Date.now();
          }
        }
      }).observe(document, { childList: true, subtree: true });
    });

    const token = await devToken({ sub: "ops-browser", roles: ["operator"] });
    await page.goto(`${system().gatewayUrl}/dashboard#token=${token}`, { waitUntil: "domcontentloaded" });
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 20_000 });
    await page.waitForSelector("#statuses li", { timeout: 10_000 });

    const sku = await stock(5, 12.5);
    const order = await placeOrder([{ sku, quantity: 2 }]);
    const confirmed = await waitForStatus(order.id, "confirmed");
    await page.waitForSelector(`#events li[data-order="${order.id}"][data-status="confirmed"]`, { timeout: 10_000 });
    const arrived = await page.evaluate((key) => (globalThis as unknown as { arrivals: Record<string, number> }).arrivals[key], `${order.id} confirmed`);
    // When it was confirmed: its history says (updated_at moves on when the shipment is noted on the order).
    const confirmedAt = (confirmed as unknown as { history: Array<{ status: string; at: string }> }).history.find((h) => h.status === "confirmed")!.at;
    const lagMs = arrived! - Date.parse(confirmedAt);
    console.log(`      order ${order.id} confirmed at ${confirmedAt}, on the page ${lagMs} ms later`);
    expect(lagMs, "from confirmation to the page").to.be.lessThan(2000);

    // The summary moved too: the confirmed tile counts it, the chart is drawn, the services are listed.
    await page.waitForFunction(() => Number(document.querySelector('#statuses li[data-status="confirmed"] .value')?.textContent?.replace(/\D/g, "")) >= 1, { timeout: 5000 });
    expect(await page.$("#throughput canvas"), "the throughput chart").to.not.equal(null);
    await page.waitForSelector('#health li[data-status="ok"]', { timeout: 15_000 });

    mkdirSync(join(root, ".dapr", "test-artifacts"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`      screenshot: ${SCREENSHOT}`);

    // Pushed, not polled: one stream, no summary requests.
    expect(requested.filter((path) => path === "/api/v1/dashboard/stream")).to.have.length(1);
    expect(requested.filter((path) => path === "/api/v1/dashboard/summary")).to.deep.equal([]);
    expect(pageErrors).to.deep.equal([]);
    await page.close();
  });
});
