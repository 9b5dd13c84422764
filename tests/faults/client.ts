/**
 * The fault suite's customers: orders placed at a steady rate through the
 * gateway by a client that does what a careful one does when the system is
 * unwell: it retries with the same Idempotency-Key until it gets an answer
 * that is not a failure of the system (a 201, or a 4xx about the order), so
 * every order it meant to place is placed once.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { Ledger, Line } from "../support/invariants.ts";
import { operatorHeaders } from "../support/credentials.ts";

export interface SkuPlan {
  sku: string;
  onHand: number;
  unitPrice: number;
}

/** Stocks the items through the gateway and records them in the ledger. */
export async function stockItems(gatewayUrl: string, ledger: Ledger, items: SkuPlan[]): Promise<void> {
  for (const item of items) {
    const response = await fetch(`${gatewayUrl}/api/v1/inventory/${item.sku}`, {
      method: "PUT",
      headers: { "content-type": "application/json", ...operatorHeaders() },
      body: JSON.stringify({ item_name: `Item ${item.sku}`, unit_price: item.unitPrice, on_hand: item.onHand, low_stock_threshold: 0 }),
    });
    if (response.status !== 200) throw new Error(`stocking ${item.sku}: ${response.status} ${await response.text()}`);
    ledger.stocked.set(item.sku, item.onHand);
  }
}

export interface LoadFigures {
  /** Orders the client meant to place. */
  attempted: number;
  /** Accepted (201, or 200 for a replay of its key), each once, however many tries it took. */
  accepted: number;
  /** Turned down with a 4xx about the order itself (none expected). */
  refused: string[];
  /** Gave up: still no answer when the client's patience ran out. */
  abandoned: number;
  /** Requests that failed and were retried with the same key. */
  retries: number;
}

/**
 * Places orders at `ratePerSecond` until stop(), each over the SKUs in turn,
 * one in `declineEvery` paid with a card the payment provider declines.
 * stop() waits for the orders in flight (each retried for at most
 * `patienceMs`).
 */
export class OrderLoad {
  readonly figures: LoadFigures = { attempted: 0, accepted: 0, refused: [], abandoned: 0, retries: 0 };
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private count = 0;

  private readonly gatewayUrl: () => string;
  private readonly ledger: Ledger;
  private readonly skus: string[];
  private readonly options: { ratePerSecond: number; patienceMs: number; declineEvery: number };

  constructor(gatewayUrl: () => string, ledger: Ledger, skus: string[], options: { ratePerSecond: number; patienceMs: number; declineEvery: number }) {
    this.gatewayUrl = gatewayUrl;
    this.ledger = ledger;
    this.skus = skus;
    this.options = options;
  }

  start(): void {
    this.timer = setInterval(() => {
      const task = this.placeOne().finally(() => this.inFlight.delete(task));
      this.inFlight.add(task);
    }, 1000 / this.options.ratePerSecond);
  }

  async stop(): Promise<LoadFigures> {
    clearInterval(this.timer);
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    return this.figures;
  }

  private async placeOne(): Promise<void> {
    this.count += 1;
    this.figures.attempted += 1;
    const n = this.count;
    const lines: Line[] = [{ sku: this.skus[n % this.skus.length]!, quantity: 1 + (n % 2) }];
    const declined = n % this.options.declineEvery === 0;
    const body = JSON.stringify({
      customer_name: "Fault Tolerant",
      customer_email: `fault-${n}@example.com`,
      origin_address: "1 Depot Road, Rotterdam",
      destination_address: "42 Harbour Street, Antwerp",
      package_weight: 1.5,
      items: lines.map((l) => ({ ...l, item_name: `Item ${l.sku}` })),
      payment: { method: "card", card_token: declined ? "tok_declined" : "tok_visa" },
    });
    const key = crypto.randomUUID();
    const deadline = Date.now() + this.options.patienceMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(`${this.gatewayUrl()}/api/v1/orders`, {
          method: "POST",
          headers: { "content-type": "application/json", "idempotency-key": key, ...operatorHeaders() },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await response.text();
        // 201 the first time, 200 when the key's order exists already (a replay).
        if (response.status === 201 || response.status === 200) {
          const order = JSON.parse(text) as { id: string };
          if (!this.ledger.orders.has(order.id)) this.figures.accepted += 1;
          this.ledger.orders.set(order.id, { lines });
          return;
        }
        if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
          this.figures.refused.push(`${response.status} ${text.slice(0, 200)}`);
          return;
        }
      } catch {
        // no answer (refused, reset, timed out): the same key again
      }
      if (Date.now() > deadline) {
        this.figures.abandoned += 1;
        return;
      }
      this.figures.retries += 1;
      await delay(Math.min(5000, 250 * 2 ** Math.min(attempt, 5)));
    }
  }
}
