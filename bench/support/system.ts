/**
 * The system under test, started the way the tests start it
 * (tests/support/system.ts) but on ports of its own: apps 8300–8305,
 * sidecars 3800–3805, Redis 6679 (servers at their usual port + 300),
 * placement 50305, the mailbox on 2925. So it runs beside `npm test`
 * (offset 100) and `npm start` (offset 0).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { startSystem } from "../../tests/support/system.ts";
import type { RunningSystem } from "../../tests/support/system.ts";
import { discoverSystem, logFiles, RssSampler } from "./processes.ts";
import type { Tracked } from "./processes.ts";
import { json } from "./http.ts";

/** The repository's root (this file runs from dist/bench/support/). */
export const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");

export const APP_IDS = ["gateway", "order", "tracking", "inventory", "notification", "payment", "dashboard"] as const;

export const BENCH_PORTS = { portOffset: 300, serverPortOffset: 300, placementPort: 50305, smtpPort: 2925 };

/**
 * One benchmark at a time: a second one would start its system on the same
 * ports, and the harness clears the run directory (.dapr/test-300) before
 * it finds them taken, pulling the resources from under the first one's
 * sidecars. Returns the release.
 */
export function takeBenchLock(): () => void {
  const path = join(ROOT, ".dapr", "bench", "running.pid");
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx" });
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST" || attempt > 0) throw err;
      const other = Number(readFileSync(path, "utf8"));
      if (other > 0 && existsSync(`/proc/${other}`)) {
        throw new Error(`another benchmark is running (pid ${other}, .dapr/bench/running.pid): it uses the same ports; wait for it to finish`, { cause: err });
      }
      rmSync(path, { force: true }); // left by a benchmark that is gone
    }
  }
  return () => {
    if (existsSync(path) && readFileSync(path, "utf8") === String(process.pid)) rmSync(path, { force: true });
  };
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.end();
      done(true);
    });
    socket.on("error", () => done(false));
  });
}

/** The ports a system on the benchmark's offset listens on (servers: Redis' only, the one every choice here uses for state). */
const SYSTEM_PORTS = [8000, 8001, 8002, 8003, 8004, 8005, 3500, 3501, 3502, 3503, 3504, 3505].map((p) => p + BENCH_PORTS.portOffset)
  .concat([BENCH_PORTS.placementPort, BENCH_PORTS.smtpPort]);

export interface Choice {
  runtime: string;
  pubsub: string;
  state: string;
}

export interface SystemUnderTest {
  sys: RunningSystem;
  choice: Choice;
  label: string;
  /** From calling startSystem (servers, placement, sidecars, apps) to the gateway's /health answering ok. */
  startupMs: number;
  startedAt: number;
  tracked: Tracked[];
  rss: RssSampler;
  logs: Array<{ name: string; path: string }>;
  signal: AbortSignal;
}

export function labelOf(choice: Choice): string {
  return `runtime ${choice.runtime}, pub/sub ${choice.pubsub}, state ${choice.state}`;
}

/** Starts a system for `choice`, runs `work` on it, and stops it (also when `work` fails or the run is aborted). */
export async function withSystem<T>(
  choice: Choice,
  signal: AbortSignal,
  work: (sut: SystemUnderTest) => Promise<T>,
  env: Record<string, string> = {},
  extra: { jaeger?: boolean } = {},
): Promise<T> {
  signal.throwIfAborted();
  // Refuse before the harness clears the run directory of whatever holds these ports.
  const taken = [];
  for (const port of SYSTEM_PORTS) if (await portTaken(port)) taken.push(port);
  if (taken.length > 0) throw new Error(`127.0.0.1 port(s) ${taken.join(", ")} already in use: another system runs on the benchmark's ports; not starting one`);
  // The harness, the run template and run-service.sh read the choices from the environment.
  const saved = { RUNTIME: process.env.RUNTIME, PUBSUB: process.env.PUBSUB, STATE: process.env.STATE };
  Object.assign(process.env, { RUNTIME: choice.runtime, PUBSUB: choice.pubsub, STATE: choice.state });
  const startedAt = Date.now();
  let sys: RunningSystem;
  try {
    console.error(`[bench] starting the system (${labelOf(choice)}) …`);
    sys = await startSystem({ ...BENCH_PORTS, startTimeoutMs: 180_000, env, ...extra });
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
  const startupMs = Date.now() - startedAt;
  console.error(`[bench] system up in ${(startupMs / 1000).toFixed(1)} s (gateway ${sys.gatewayUrl})`);
  // The mailbox keeps every message in memory: the benchmark does not read them.
  const sweep = setInterval(() => (sys.mail.length = 0), 5_000);
  try {
    signal.throwIfAborted();
    const tracked = discoverSystem(APP_IDS);
    const logs: Array<{ name: string; path: string }> = [];
    for (const appId of APP_IDS) {
      const daprd = tracked.find((t) => t.kind === "sidecar" && t.appId === appId);
      const files = logFiles(ROOT, appId, daprd?.pids[0], sys.daprPort(appId), startedAt);
      if (files.daprd) logs.push({ name: `${appId} daprd`, path: files.daprd });
      if (files.app) logs.push({ name: appId, path: files.app });
    }
    return await work({ sys, choice, label: labelOf(choice), startupMs, startedAt, tracked, rss: new RssSampler(tracked), logs, signal });
  } finally {
    clearInterval(sweep);
    console.error("[bench] stopping the system …");
    await sys.stop();
  }
}

/** Creates (or replaces) an item through the gateway. */
export async function stockItem(sut: SystemUnderTest, sku: string, onHand: number): Promise<void> {
  await json(`${sut.sys.gatewayUrl}/api/v1/inventory/${sku}`, {
    method: "PUT",
    body: { item_name: `Bench item ${sku}`, unit_price: 1.5, on_hand: onHand, low_stock_threshold: 0 },
    signal: sut.signal,
  });
}
