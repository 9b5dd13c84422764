/**
 * The read side's lag: for each event the dashboard applies while a saga
 * window runs (and while its orders settle), how long after the event's
 * publication (its CloudEvent time, set when it is published) the live
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

/** One applied event: when it was published, and how long until the stream said so. */
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
}

export class ReadSideLag {
  readonly #samples: Sample[] = [];
  readonly #request: http.ClientRequest;

  private constructor(request: http.ClientRequest) {
    this.#request = request;
  }

  /** Opens the stream; resolves once the dashboard answered it. */
  static open(sut: SystemUnderTest): Promise<ReadSideLag> {
    return new Promise((resolve, reject) => {
      const request = http.get(`${sut.sys.gatewayUrl}/api/v1/dashboard/stream`, { headers: { accept: "text/event-stream", ...operatorHeaders() } });
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
    const at = Date.parse((JSON.parse(data.slice("data: ".length)) as { at?: string }).at ?? "");
    const now = Date.now();
    if (!Number.isNaN(at)) this.#samples.push({ receivedAt: now, lagMs: now - at });
  }

  /** Resolves once the stream has told of no event for `quietMs`, or at `deadline` (epoch ms). */
  async quiet(quietMs: number, deadline: number, signal?: AbortSignal): Promise<void> {
    while (Date.now() < deadline && !signal?.aborted) {
      const last = this.#samples.at(-1)?.receivedAt ?? 0;
      if (Date.now() - last >= quietMs) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  /** The events the stream told of between `from` and `to` (epoch ms). */
  row(label: string, from: number, to: number): LagRow {
    const samples = this.#samples.filter((s) => s.receivedAt >= from && s.receivedAt < to);
    const span = samples.length > 1 ? (samples.at(-1)!.receivedAt - samples[0]!.receivedAt) / 1000 : 0;
    return { label, events: samples.length, lag: summarize(samples.map((s) => s.lagMs)), perSecond: span > 0 ? samples.length / span : 0 };
  }

  close(): void {
    this.#request.destroy();
  }
}

export function lagTable(report: Report, rows: LagRow[]): void {
  report.table(
    "Read side: event published → shown by the dashboard (its live stream; the summary and search read the same views)",
    ["load", "events applied", "applied per second", "lag p50", "lag p99", "lag max"],
    rows.map((row) => [row.label, String(row.events), row.perSecond.toFixed(0), ms(row.lag.p50), ms(row.lag.p99), ms(row.lag.max)]),
    [
      "Each saga window's row covers its orders' events from the window's start until they settled (or the drain deadline).",
      "The dashboard projects into FerretDB on SQLite over one connection here; a real MongoDB takes a pool.",
    ],
  );
}
