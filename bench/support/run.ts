/**
 * What a benchmark that runs the system starts with: its settings
 * (config.ts), a report, the signal that stops its load and its system
 * (every request in flight listens to it), when it began, and the file its
 * results go to: .dapr/bench/<name>-<timestamp>.md. Ctrl-C aborts the signal,
 * unless the benchmark handles interruptions itself (`onInterrupt: false`).
 */
import { setMaxListeners } from "node:events";
import { join } from "node:path";
import process from "node:process";
import { readConfig } from "./config.ts";
import type { BenchConfig } from "./config.ts";
import { Report } from "./report.ts";
import { ROOT } from "./system.ts";

export interface BenchRun {
  config: BenchConfig;
  report: Report;
  controller: AbortController;
  signal: AbortSignal;
  began: number;
  resultsPath: string;
}

export function startBench(name: string, { onInterrupt = true } = {}): BenchRun {
  const controller = new AbortController();
  setMaxListeners(100_000, controller.signal);
  if (onInterrupt) process.once("SIGINT", () => controller.abort(new Error("interrupted")));
  const began = Date.now();
  const stamp = new Date(began).toISOString().replace(/\.\d+Z$/, "Z").replace(/:/g, "-");
  return {
    config: readConfig(),
    report: new Report(),
    controller,
    signal: controller.signal,
    began,
    resultsPath: join(ROOT, ".dapr", "bench", `${name}-${stamp}.md`),
  };
}
