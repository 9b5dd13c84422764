/**
 * Latency of the same request by several paths at one fixed rate, open loop:
 * each path is measured in two halves, the second pass in reverse order, so
 * that a drift in the machine's load spreads over all paths alike. Also the
 * CPU the system used while each path ran.
 */
import { request } from "./http.ts";
import { openLoop } from "./load.ts";
import type { Shot } from "./load.ts";
import { cpuMsOf, machineCpu, otherLoad } from "./processes.ts";
import type { Cell } from "./report.ts";
import { errorsCell, ms, summarize } from "./stats.ts";
import type { Summary } from "./stats.ts";
import type { SystemUnderTest } from "./system.ts";
import type { BenchConfig } from "./config.ts";

export interface RequestPath {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** Headers that change from request to request (the i-th request's), over `headers`. */
  headersFor?: (index: number) => Record<string, string>;
}

export interface PathResult {
  path: RequestPath;
  count: number;
  latency: Summary;
  lag: Summary;
  errors: Map<string, number>;
  cpu: { system: number; busy: number; total: number };
}

/** Measures every path; `disturbed` collects what else loaded the machine meanwhile. */
export async function measurePaths(sut: SystemUnderTest, config: BenchConfig, paths: RequestPath[], what: string, disturbed: Set<string>): Promise<PathResult[]> {
  const { signal } = sut;
  for (const path of paths) {
    const reply = await request(path.url, { headers: path.headers, signal });
    if (reply.status !== 200) throw new Error(`${what}: ${path.name} answered ${reply.status}: ${reply.body.slice(0, 200)}`);
  }
  const shots = new Map<string, Array<Shot<unknown>>>(paths.map((p) => [p.name, []]));
  // CPU used while each path ran: by the system's processes (ms), and the machine's busy share.
  const cpu = new Map(paths.map((p) => [p.name, { system: 0, busy: 0, total: 0 }]));
  const half = config.readMs / 2;
  for (const order of [paths, [...paths].reverse()]) {
    for (const path of order) {
      const send = async (index: number) => ({ status: (await request(path.url, { headers: { ...path.headers, ...path.headersFor?.(index) }, signal })).status });
      console.error(`[bench] ${what}: ${path.name}, ${config.readRate} req/s for ${(half / 1000).toFixed(1)} s (+ ${(config.warmupMs / 1000).toFixed(1)} s warm-up)`);
      await openLoop({ rate: config.readRate, durationMs: config.warmupMs, okStatus: 200, send, signal });
      const before = { system: cpuMsOf(sut.tracked), machine: machineCpu() };
      const run = await sut.rss.during(() => openLoop({ rate: config.readRate, durationMs: half, okStatus: 200, send, signal }));
      const used = cpu.get(path.name)!;
      const machine = machineCpu();
      used.system += cpuMsOf(sut.tracked) - before.system;
      used.busy += machine.busy - before.machine.busy;
      used.total += machine.total - before.machine.total;
      shots.get(path.name)!.push(...run.shots);
      const busy = otherLoad();
      if (busy) disturbed.add(busy);
    }
  }
  return paths.map((path) => {
    const all = shots.get(path.name)!;
    const errors = new Map<string, number>();
    for (const s of all) if (!s.ok) errors.set(s.kind, (errors.get(s.kind) ?? 0) + 1);
    return { path, count: all.length, latency: summarize(all.filter((s) => s.ok).map((s) => s.latencyMs)), lag: summarize(all.map((s) => s.sendLagMs)), errors, cpu: cpu.get(path.name)! };
  });
}

/** The cells every path table starts with: path, requests, p50, p90, p99, errors. */
export function latencyCells(r: PathResult): Cell[] {
  return [r.path.name, r.count, ms(r.latency.p50), ms(r.latency.p90), ms(r.latency.p99), errorsCell(r.errors)];
}

/** The CPU cells: the system's CPU per request, and the share of the machine's cores busy. */
export function cpuCells(r: PathResult): Cell[] {
  return [ms(r.cpu.system / r.count), `${((100 * r.cpu.busy) / Math.max(1, r.cpu.total)).toFixed(0)} %`];
}
