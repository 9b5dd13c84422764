/**
 * Every query of the Grafana dashboards, run against the run's Prometheus
 * after the integration and end-to-end suites: a query that returns no
 * series is a panel that would stay empty (a metric renamed, a label that
 * does not exist, a rule that is not recorded), and fails the test. Prints
 * each query with the number of series it returned.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { expect } from "chai";
import { system } from "../support/system-hooks.ts";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");
const dir = join(root, "deploy/observability/grafana/dashboards");

interface Dashboard {
  title: string;
  templating: { list: Array<{ name: string; allValue: string }> };
  panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
}

async function query(promql: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> {
  const response = await fetch(`${system().prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(10_000) });
  return (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
}

describe("the Grafana dashboards against the run's Prometheus", () => {
  before(function () {
    if (!system().prometheusUrl) this.skip();
  });

  it("scrapes every app and every sidecar", async () => {
    const up = await query("up");
    const targets = (up.data?.result ?? []) as Array<{ metric: { job: string; app_id: string }; value: [number, string] }>;
    const down = targets.filter((t) => t.value[1] !== "1").map((t) => `${t.metric.job}/${t.metric.app_id}`);
    expect(down, "targets down").to.deep.equal([]);
    expect(targets.filter((t) => t.metric.job === "apps")).to.have.length(7);
    expect(targets.filter((t) => t.metric.job === "daprd")).to.have.length(7);
  });

  it("answers every panel's query with at least one series", async function () {
    this.timeout(60_000);
    // Two scrapes and a rule evaluation (every 2 s) after the suites' last request.
    await new Promise((done) => setTimeout(done, 5000));
    const rows: string[] = [];
    const empty: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
      const dashboard = JSON.parse(readFileSync(join(dir, file), "utf8")) as Dashboard;
      for (const panel of dashboard.panels) {
        for (const target of panel.targets) {
          // A variable stands for all its values, as the dashboard opens.
          let expr = target.expr;
          for (const variable of dashboard.templating.list) expr = expr.replaceAll(`$${variable.name}`, variable.allValue);
          const answer = await query(expr);
          const series = answer.data?.result.length ?? 0;
          rows.push(`${String(series).padStart(4)}  ${dashboard.title} / ${panel.title}: ${target.expr}`);
          if (answer.status !== "success") empty.push(`${dashboard.title} / ${panel.title}: ${answer.error} (${expr})`);
          else if (series === 0) empty.push(`${dashboard.title} / ${panel.title}: no series (${expr})`);
        }
      }
    }
    console.log(`      series  dashboard / panel: query\n${rows.map((r) => `      ${r}`).join("\n")}`);
    expect(empty, "panels whose query returns nothing").to.deep.equal([]);
  });

  it("holds the dead-letter alert for the poison event the end-to-end suite parked", async function () {
    this.timeout(30_000);
    const response = await fetch(`${system().prometheusUrl}/api/v1/alerts`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
    const deadLetters = body.data.alerts.filter((a) => a.labels.alertname === "LogisticsDeadLetters");
    expect(deadLetters.length, JSON.stringify(body.data.alerts)).to.be.greaterThan(0);
    expect(["pending", "firing"]).to.include(deadLetters[0]!.state);
    // Nothing else is wrong with the system (pending alerts may be the tests' own doing: a sidecar they stopped, say).
    const others = body.data.alerts.filter((a) => a.labels.alertname !== "LogisticsDeadLetters" && a.state === "firing").map((a) => `${a.labels.alertname} ${a.labels.app_id ?? ""} (${a.state})`);
    expect(others).to.deep.equal([]);
  });
});
