/**
 * The benchmark's knobs, all from the environment. BENCH_QUICK=1 shortens
 * every window for a smoke run of about two minutes; any knob set explicitly
 * wins over either mode's default.
 */
import process from "node:process";

export interface BenchConfig {
  quick: boolean;
  /** A pause after the system reports healthy, before anything is measured (its start-up work settles). */
  settleMs: number;
  /** Reads: the fixed rate, the measured window (two halves per path) and the warm-up before each half. */
  readRate: number;
  readMs: number;
  warmupMs: number;
  /** Intake: closed-loop client counts and the window at each. */
  intakeClients: number[];
  intakeMs: number;
  /** Saga: open-loop order rates, the window at each, the no-load sample size. */
  sagaRates: number[];
  sagaMs: number;
  baselineOrders: number;
  /** How long after a window the system may take to settle every order. */
  drainMs: number;
  /** The sustained-rate search: its window per step and its total budget (0 skips it). */
  sustainMs: number;
  sustainBudgetMs: number;
  /** How many SKUs the saga's orders spread over (round robin). */
  skus: number;
  /** Runtimes for the intake comparison, pub/sub choices for the saga comparison. */
  runtimes: string[];
  pubsubs: string[];
  /** The primary system: every measurement runs on it. */
  runtime: string;
  pubsub: string;
  state: string;
}

function number(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, not '${raw}'`);
  return value;
}

function list(name: string, fallback: string[]): string[] {
  const raw = process.env[name]?.trim();
  return raw ? raw.split(/[\s,]+/).filter(Boolean) : fallback;
}

function numbers(name: string, fallback: number[]): number[] {
  const values = list(name, fallback.map(String)).map(Number);
  if (values.some((v) => !Number.isFinite(v) || v <= 0)) throw new Error(`${name} must list positive numbers, not '${process.env[name]}'`);
  return values;
}

export function readConfig(): BenchConfig {
  const quick = process.env.BENCH_QUICK === "1";
  const runtime = process.env.RUNTIME || list("BENCH_RUNTIMES", ["node"])[0]!;
  const pubsub = process.env.PUBSUB || "redis";
  const runtimes = list("BENCH_RUNTIMES", [runtime]);
  const pubsubs = list("BENCH_PUBSUB", [pubsub]);
  for (const r of runtimes) if (r !== "node" && r !== "deno") throw new Error(`BENCH_RUNTIMES: node or deno, not '${r}'`);
  return {
    quick,
    settleMs: number("BENCH_SETTLE_S", quick ? 3 : 5) * 1000,
    readRate: number("BENCH_READ_RATE", 200),
    readMs: number("BENCH_READ_S", quick ? 4 : 15) * 1000,
    warmupMs: number("BENCH_WARMUP_S", quick ? 1 : 2) * 1000,
    intakeClients: numbers("BENCH_INTAKE_CLIENTS", quick ? [1, 16] : [1, 4, 16, 32]),
    intakeMs: number("BENCH_INTAKE_S", quick ? 3 : 10) * 1000,
    sagaRates: numbers("BENCH_SAGA_RATES", quick ? [5, 20] : [5, 20, 50]),
    sagaMs: number("BENCH_SAGA_S", quick ? 5 : 20) * 1000,
    baselineOrders: number("BENCH_BASELINE_ORDERS", quick ? 5 : 10),
    drainMs: number("BENCH_DRAIN_S", quick ? 45 : 120) * 1000,
    sustainMs: number("BENCH_SUSTAIN_S", quick ? 10 : 60) * 1000,
    sustainBudgetMs: number("BENCH_SUSTAIN_BUDGET_S", quick ? 45 : 240) * 1000,
    skus: Math.max(1, Math.round(number("BENCH_SKUS", 20))),
    runtimes: runtimes.includes(runtime) ? runtimes : [runtime, ...runtimes],
    pubsubs,
    runtime,
    pubsub,
    state: process.env.STATE || "redis",
  };
}
