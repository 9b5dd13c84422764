/** Percentiles and the number formats the benchmark's tables share. */

/** Nearest-rank percentile of an ascending array (q in 0..1); NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export interface Summary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

/** Milliseconds: two decimals under 10 ms, one under 1 s, seconds beyond. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 1000) return `${(value / 1000).toFixed(2)} s`;
  if (Math.abs(value) >= 10) return `${value.toFixed(1)} ms`;
  return `${value.toFixed(2)} ms`;
}

/** A difference in milliseconds, signed. */
export function deltaMs(value: number): string {
  if (!Number.isFinite(value)) return "–";
  return `${value >= 0 ? "+" : "−"}${ms(Math.abs(value))}`;
}

export function perSecond(value: number): string {
  if (!Number.isFinite(value)) return "–";
  return value >= 100 ? `${Math.round(value)}/s` : `${value.toFixed(1)}/s`;
}

export function mib(kib: number | undefined): string {
  if (kib === undefined || !Number.isFinite(kib)) return "–";
  return `${(kib / 1024).toFixed(1)} MiB`;
}

export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : "–";
}

/** "3 (500: 2, timeout: 1)": the count of failed requests and what they were. */
export function errorsCell(errors: ReadonlyMap<string, number>): string {
  const total = [...errors.values()].reduce((s, n) => s + n, 0);
  if (total === 0) return "0";
  const detail = [...errors.entries()].sort((a, b) => b[1] - a[1]).map(([kind, n]) => `${kind}: ${n}`).join(", ");
  return `${total} (${detail})`;
}
