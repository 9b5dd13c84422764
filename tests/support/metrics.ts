/** Reading Prometheus text in tests. */
import type { Registry } from "prom-client";

/** The value of one series (name and labels as the text writes them) in `text`, or undefined. */
export function sampleOf(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The value of one series in the registry, or undefined. */
export async function sample(registry: Registry, series: string): Promise<number | undefined> {
  return sampleOf(await registry.metrics(), series);
}

/** The series of metric `name` in Prometheus text: their labels and values. */
export function seriesOf(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const found: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    found.push({ labels, value: Number(match[3]) });
  }
  return found;
}

/** The sum of the series of `name` whose labels include `labels` (0 when none). */
export function valueOf(text: string, name: string, labels: Record<string, string> = {}): number {
  return seriesOf(text, name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** A scrape target as Prometheus's API describes it. */
export interface ScrapeTarget {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

/** The active scrape targets of the Prometheus at `url`. */
export async function scrapeTargets(url: string): Promise<ScrapeTarget[]> {
  const response = await fetch(`${url}/api/v1/targets?state=active`, { signal: AbortSignal.timeout(10_000) });
  return ((await response.json()) as { data: { activeTargets: ScrapeTarget[] } }).data.activeTargets;
}
