/**
 * The read side's lag: for each order status change and stock level the
 * dashboard applies while a saga window runs (and until it has caught up),
 * how long after the change (the order service's or inventory's own time,
 * to the millisecond; a CloudEvent's time has whole seconds) the live
 * page's stream told of it, which is when the summary and the search show
 * it. Read from `GET /api/v1/dashboard/stream` through the gateway, as the
 * live page reads it; the no-load orders give the baseline.
 */
import http from "node:http";
import { operatorHeaders } from "../../tests/support/credentials.ts";
import type { Report } from "../support/report.ts";
import { ms, summarize } from "../support/stats.ts";
import type { Summary } from "../support/stats.ts";
import type { SystemUnderTest } from "../support/system.ts";

/** One applied event: when the stream told of it, and how long after it happened. */
interface Sample {
  receivedAt: number;
  lagMs: number;
}

export interface LagRow {
  label: string;
  events: number;
  lag: Summary;
  /** Events applied per second over the row's span. */
  perSecond: number;
  /** The same events told straight by the app (the baseline). */
  direct?: Summary;
}

export class ReadSideLag {
  readonly #samples: Sample[] = [];
  /** When each applied event was told of. */
  readonly #applied: number[] = [];
  readonly #request: http.ClientRequest;

  private constructor(request: http.ClientRequest) {
    this.#request = request;
  }

  /** Opens the stream through the gateway, as the live page does; resolves once the dashboard answered it. */
  static throughGateway(sut: SystemUnderTest): Promise<ReadSideLag> {
    return ReadSideLag.#open(`${sut.sys.gatewayUrl}/api/v1/dashboard/stream`, operatorHeaders());
  }

  /** Opens the stream straight from the dashboard app (as its sidecar would call it): the baseline. */
  static fromApp(sut: SystemUnderTest): Promise<ReadSideLag> {
    return ReadSideLag.#open(`http://127.0.0.1:${sut.sys.appPort("dashboard")}/api/v1/dashboard/stream`, { "dapr-api-token": sut.sys.appApiToken });
  }

  static #open(url: string, headers: Record<string, string>): Promise<ReadSideLag> {
    return new Promise((resolve, reject) => {
      const request = http.get(url, { headers: { accept: "text/event-stream", ...headers } });
      const lag = new ReadSideLag(request);
      request.once("error", reject);
      request.once("response", (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          reject(new Error(`the dashboard's stream answered ${response.statusCode}`));
          return;
        }
        response.setEncoding("utf8");
        let buffered = "";
        response.on("data", (chunk: string) => {
          buffered += chunk;
          for (let end = buffered.indexOf("\n\n"); end !== -1; end = buffered.indexOf("\n\n")) {
            lag.#message(buffered.slice(0, end));
            buffered = buffered.slice(end + 2);
          }
        });
        resolve(lag);
      });
    });
  }

  #message(message: string): void {
    const lines = message.split("\n");
    if (!lines.includes("event: event")) return;
    const data = lines.find((line) => line.startsWith("data: "));
    if (!data) return;
    const now = Date.now();
    const told = (JSON.parse(data.slice("data: ".length)) as { at?: string }).at ?? "";
    this.#applied.push(now);
    // Only times to the millisecond (order status changes, stock levels): a
    // CloudEvent's own time has whole seconds, half a second off on average.
    if (/\.\d{3}/.test(told)) this.#samples.push({ receivedAt: now, lagMs: now - Date.parse(told) });
  }

  /** Resolves once the stream has told of no event for `quietMs`, or at `deadline` (epoch ms). */
  async quiet(quietMs: number, deadline: number, signal?: AbortSignal): Promise<void> {
    while (Date.now() < deadline && !signal?.aborted) {
      const last = this.#applied.at(-1) ?? 0;
      if (Date.now() - last >= quietMs) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The events the stream told of between `from` and `to` (epoch ms). */
  row(label: string, from: number, to: number): LagRow {
    const samples = this.#samples.filter((s) => s.receivedAt >= from && s.receivedAt < to);
    const applied = this.#applied.filter((t) => t >= from && t < to);
    const span = applied.length > 1 ? (applied.at(-1)! - applied[0]!) / 1000 : 0;
    return { label, events: applied.length, lag: summarize(samples.map((s) => s.lagMs)), perSecond: span > 0 ? applied.length / span : 0 };
  }

  close(): void {
    this.#request.destroy();
  }
}

export function lagTable(report: Report, rows: LagRow[]): void {
  const cell = (summary: Summary | undefined, field: "p50" | "p99") => (summary && summary.count > 0 ? ms(summary[field]) : "–");
  report.table(
    "Read side: event published → shown by the dashboard (its live stream; the summary and search read the same views)",
    ["load", "events applied", "applied per second", "lag p50", "lag p99", "lag max", "straight from the app p50", "p99"],
    rows.map((row) => [row.label, String(row.events), row.perSecond.toFixed(0), ms(row.lag.p50), ms(row.lag.p99), ms(row.lag.max), cell(row.direct, "p50"), cell(row.direct, "p99")]),
    [
      "Lag: from the change (the order service's or the inventory item's own time, to the millisecond: order status changes and stock levels) to the stream telling of it, through the gateway, as the live page reads it (gateway → its sidecar → the dashboard's sidecar → the app); straight from the app: the same stream read from the dashboard app's own port, the baseline.",
      "Each saga window's row covers its orders' events from the window's start until the dashboard had caught up (or the drain deadline).",
      "The dashboard projects into FerretDB on SQLite over one connection here; a real MongoDB takes a pool.",
    ],
  );
}
