import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { parse } from "yaml";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../../..");
const grafana = join(root, "deploy/observability/grafana");

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets: Array<{ refId: string; expr: string; datasource: { uid: string } }>;
}

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: Array<{ name: string; datasource: { uid: string } }> };
  panels: Panel[];
}

const dashboards = () =>
  readdirSync(join(grafana, "dashboards"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => ({ file: f, dashboard: JSON.parse(readFileSync(join(grafana, "dashboards", f), "utf8")) as Dashboard }));

describe("Grafana provisioning", () => {
  it("holds exactly what dashboards.mjs writes (run it after editing the definitions)", async () => {
    const generator = (await import(pathToFileURL(join(grafana, "dashboards.mjs")).href)) as { dashboardFiles(): Array<{ file: string; text: string }> };
    const files = generator.dashboardFiles();
    expect(files.map((f) => f.file.split("/").pop()).sort()).to.deep.equal(dashboards().map((d) => d.file).sort());
    for (const { file, text } of files) expect(readFileSync(file, "utf8"), file).to.equal(text);
  });

  it("has dashboards Grafana can load: unique uids and panel ids, a query and refId per target, the provisioned data source, panels on the 24-column grid", () => {
    const datasources = parse(readFileSync(join(grafana, "provisioning/datasources/prometheus.yml"), "utf8")) as { apiVersion: number; datasources: Array<{ uid: string; type: string }> };
    expect(datasources.apiVersion).to.equal(1);
    const uids = new Set(datasources.datasources.filter((d) => d.type === "prometheus").map((d) => d.uid));
    const all = dashboards();
    expect(all.map((d) => d.dashboard.uid)).to.have.length(new Set(all.map((d) => d.dashboard.uid)).size);
    expect(all.map((d) => d.dashboard.title)).to.include.members(["Logistics: overview", "Logistics: saga", "Logistics: service RED", "Logistics: Dapr sidecars", "Logistics: brokers"]);
    for (const { file, dashboard } of all) {
      expect(dashboard.uid.length, `${file} uid (Grafana allows 40 characters)`).to.be.within(1, 40);
      expect(dashboard.schemaVersion).to.be.a("number");
      expect(dashboard.panels.map((p) => p.id)).to.have.length(new Set(dashboard.panels.map((p) => p.id)).size);
      const variables = new Set(dashboard.templating.list.map((v) => v.name));
      for (const v of dashboard.templating.list) expect(uids.has(v.datasource.uid), `${file} variable ${v.name}`).to.equal(true);
      for (const panel of dashboard.panels) {
        const where = `${file} / ${panel.title}`;
        expect(["timeseries", "stat"]).to.include(panel.type);
        expect(uids.has(panel.datasource.uid), where).to.equal(true);
        expect(panel.gridPos.x + panel.gridPos.w, where).to.be.at.most(24);
        expect(panel.targets.length, where).to.be.greaterThan(0);
        expect(panel.targets.map((t) => t.refId)).to.have.length(new Set(panel.targets.map((t) => t.refId)).size);
        for (const target of panel.targets) {
          expect(target.expr, where).to.be.a("string").and.not.equal("");
          expect(uids.has(target.datasource.uid), where).to.equal(true);
          for (const used of target.expr.matchAll(/\$(\w+)/g)) expect(variables.has(used[1]!), `${where}: $${used[1]} is a variable of the dashboard`).to.equal(true);
        }
      }
    }
  });

  it("points the dashboard provider at a folder of files", () => {
    const provider = parse(readFileSync(join(grafana, "provisioning/dashboards/logistics.yml"), "utf8")) as { apiVersion: number; providers: Array<{ type: string; options: { path: string } }> };
    expect(provider.apiVersion).to.equal(1);
    expect(provider.providers[0]).to.deep.include({ type: "file" });
    expect(provider.providers[0]!.options.path).to.match(/^\//);
  });
});

describe("Prometheus configuration of a run", () => {
  it("scrapes every app of dapr.yaml and its sidecar at the run's ports, labelled with the app id, with the project's rules", async () => {
    const template = (await import(pathToFileURL(join(root, "deploy/scripts/run-template.mjs")).href)) as {
      prometheusConfig(apps: Array<Record<string, unknown>>, options?: { scrapeInterval?: string }): {
        global: { scrape_interval: string };
        rule_files: string[];
        scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[]; labels: { app_id: string } }> }>;
      };
    };
    const apps = (parse(readFileSync(join(root, "dapr.yaml"), "utf8")) as { apps: Array<{ appID: string; appPort: number; metricsPort: number }> }).apps;
    const config = template.prometheusConfig(apps, { scrapeInterval: "2s" });
    expect(config.global.scrape_interval).to.equal("2s");
    expect(config.rule_files).to.deep.equal([join(root, "deploy/observability/prometheus/rules/*.yml")]);
    const job = (name: string) => config.scrape_configs.find((c) => c.job_name === name)!.static_configs.map((s) => [s.labels.app_id, s.targets[0]]);
    expect(job("apps")).to.deep.equal(apps.map((a) => [a.appID, `127.0.0.1:${a.appPort}`]));
    expect(job("daprd")).to.deep.equal(apps.map((a) => [a.appID, `127.0.0.1:${a.metricsPort}`]));
  });
});
