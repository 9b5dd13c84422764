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
