/**
 * Memory (VmRSS) of each service and each daprd, idle and at its peak under
 * the load the other measurements put on the system; the time the system
 * took to start; and what the logs say about it (errors, warnings, circuit
 * breakers opening).
 */
import type { Report } from "../support/report.ts";
import { tallyLog } from "../support/processes.ts";
import { mib, ms } from "../support/stats.ts";
import type { SystemUnderTest } from "../support/system.ts";
import { APP_IDS } from "../support/system.ts";

export function rssTable(report: Report, sut: SystemUnderTest, load: string): void {
  const order = (name: string) => {
    const app = APP_IDS.findIndex((id) => name === id || name === `${id} daprd`);
    return app >= 0 ? app * 2 + (name.endsWith("daprd") ? 1 : 0) : 100;
  };
  const tracked = [...sut.tracked].sort((a, b) => order(a.name) - order(b.name));
  const total = (filter: (kind: string) => boolean, map: Map<string, number>) =>
    tracked.filter((t) => filter(t.kind)).reduce((s, t) => s + (map.get(t.name) ?? 0), 0);
  const rows = tracked.map((t) => [t.name, t.pids.join(", "), mib(sut.rss.idle.get(t.name)), mib(sut.rss.peak.get(t.name))]);
  for (const [label, kinds] of [["all services", ["app"]], ["all daprd", ["sidecar"]], ["everything above", ["app", "sidecar", "server", "control"]]] as const) {
    const pick = (kind: string) => (kinds as readonly string[]).includes(kind);
    rows.push([`**${label}**`, "", mib(total(pick, sut.rss.idle)), mib(total(pick, sut.rss.peak))]);
  }
  const apps = sut.tracked.filter((t) => t.kind === "app").length;
  const sidecars = sut.tracked.filter((t) => t.kind === "sidecar").length;
  report.table(
    `Memory (VmRSS) idle and peak under load (${sut.label})`,
    ["process", "pid", "idle", "peak under load"],
    rows,
    [
      `Idle: once the system was healthy, before any load. Peak: the highest of the samples taken every 500 ms during ${load}.`,
      "Each process counts with its descendants; the pids are those of the processes the harness started (its servers and placement) and the children of its `dapr run`.",
      ...(apps < APP_IDS.length || sidecars < APP_IDS.length ? [`Found ${apps} of ${APP_IDS.length} apps and ${sidecars} of ${APP_IDS.length} sidecars only.`] : []),
    ],
  );
}

export function startupTable(report: Report, systems: Array<{ label: string; startupMs?: number; note?: string }>): void {
  report.table(
    "Start → healthy",
    ["system", "start → healthy"],
    systems.map((s) => [s.label, s.startupMs !== undefined ? ms(s.startupMs) : (s.note ?? "–")]),
    ["From calling the harness's startSystem (servers with fresh data, placement, `dapr run -f` of six apps and their sidecars) to the gateway's /health answering ok (every service and sidecar up)."],
  );
}

export async function logHealth(report: Report, sut: SystemUnderTest): Promise<void> {
  const rows: string[][] = [];
  const healthyAt = sut.startedAt + sut.startupMs;
  for (const log of sut.logs) {
    const { startup, running } = await tallyLog(log.path, healthyAt);
    if (startup.errors + startup.warnings + startup.breakerOpened + running.errors + running.warnings + running.breakerOpened === 0) continue;
    // Errors first, then warnings, each by count.
    const top = [...running.messages.entries()].sort((a, b) => Number(b[0].startsWith("error")) - Number(a[0].startsWith("error")) || b[1] - a[1]).slice(0, 3);
    rows.push([
      log.name,
      String(running.errors),
      String(running.warnings),
      String(running.breakerOpened),
      top.map(([m, n]) => `${n}× ${m.replaceAll("|", "\\|")}`).join(" · "),
      `${startup.errors} / ${startup.warnings} / ${startup.breakerOpened}`,
    ]);
  }
  const found = new Set(sut.logs.map((l) => l.name));
  const missing = [...APP_IDS.flatMap((id) => [id, `${id} daprd`])].filter((name) => !found.has(name));
  report.table(
    `Logs: errors, warnings and circuit breakers (${sut.label})`,
    ["process", "error lines", "warning lines", "circuit breaker opened", "most frequent (numbers masked)", "during start-up: errors / warnings / breakers opened"],
    rows.length > 0 ? rows : [["(none)", "0", "0", "0", "", ""]],
    [
      "From each app's and sidecar's log file of this run (services/<app>/.dapr/logs/), from the moment the system was healthy to its stop; start-up apart in the last column. Only processes with something to report are listed.",
      ...(missing.length > 0 ? [`No log file found for: ${missing.join(", ")}.`] : []),
    ],
  );
}
