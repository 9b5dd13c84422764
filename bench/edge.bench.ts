/**
 * What the gateway's edge costs: authentication (API key or bearer token)
 * and the rate limit (a counter in the gateway's state store, through its
 * sidecar), measured in one run on one system (offset 300, as npm run bench)
 * against the same request without them. It prints figures; it asserts
 * nothing about them.
 *
 *   npm run bench:edge                 (about 2 minutes)
 *
 * 1. Latency of GET /api/v1/inventory/{sku} at a fixed rate, open loop, by
 *    five paths (bench/support/paths.ts): the gateway's sidecar invoking
 *    inventory (no gateway: the baseline); a second gateway process on the
 *    same sidecar with the rate limit off (RATE_LIMIT_PER_WINDOW=0), with
 *    an API key and with bearer tokens of 100 clients in turn; the system's
 *    gateway with the rate limit on (a limit the run never reaches, so every
 *    request is counted and let through), with those 100 clients (2 req/s
 *    each, as many clients make traffic) and with the one API key (every
 *    request on one counter: the worst case). The gateway cannot run
 *    without authentication, so its own cost is measured apart:
 * 2. authentication in process: Authenticator.authenticate for an API key
 *    and for a bearer token (signature, issuer, audience, expiry), many
 *    times, against the same calls' figures.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { ApiKeys, Authenticator, issuerKeys } from "../services/gateway/auth.ts";
import { loadConfig } from "../services/gateway/config.ts";
import { devApiKey, devToken } from "../tests/support/credentials.ts";
import { devSecrets } from "../tests/support/fakes.ts";
import { closeConnections, request } from "./support/http.ts";
import { cpuCells, latencyCells, measurePaths } from "./support/paths.ts";
import { startBench } from "./support/run.ts";
import { deltaMs } from "./support/stats.ts";
import { ROOT, stockItem, takeBenchLock, withSystem } from "./support/system.ts";

const { config, report, signal: stop, resultsPath } = startBench("edge");
const RATE_LIMIT_ON = "1000000";
const AUTH_CALLS = 5000;
const CLIENTS = 100;

/** Authentication alone, in this process: microseconds per call, after a warm-up. */
async function authCost(): Promise<Array<{ name: string; us: number }>> {
  const auth = loadConfig({}).auth;
  const secrets = devSecrets();
  const authenticator = new Authenticator(new ApiKeys(secrets, auth.secretStoreName, auth.apiKeysSecret), {
    issuer: auth.issuer,
    audience: auth.audience,
    rolesClaim: auth.rolesClaim,
    keys: issuerKeys({ secrets, store: auth.secretStoreName, secretName: auth.jwksSecret }),
  });
  const token = await devToken({ sub: "bench", roles: ["operator"] }, { expiresIn: "1h" });
  const cases = [
    { name: "API key (SHA-256, a map look-up)", headers: { apiKey: devApiKey("operator").key } },
    { name: "bearer token (JWT: ES256 signature, issuer, audience, expiry)", headers: { authorization: `Bearer ${token}` } },
  ];
  const results = [];
  for (const { name, headers } of cases) {
    for (let i = 0; i < 200; i++) await authenticator.authenticate(headers);
    const started = performance.now();
    for (let i = 0; i < AUTH_CALLS; i++) await authenticator.authenticate(headers);
    results.push({ name, us: ((performance.now() - started) * 1000) / AUTH_CALLS });
  }
  return results;
}

const release = takeBenchLock();
let code = 0;
try {
  const choice = { runtime: config.runtime, pubsub: config.pubsub, state: config.state };
  await withSystem(
    choice,
    stop,
    async (sut) => {
      const { sys, signal } = sut;
      const sku = "EDGE-BENCH-1";
      await stockItem(sut, sku, 1000);
      await delay(config.settleMs, undefined, { signal });

      // A second gateway on the same sidecar, the rate limit off.
      const offPort = sys.appPort("gateway") + 10;
      const second = spawn(process.execPath, [join(ROOT, "dist/services/gateway/main.js")], {
        env: {
          ...process.env,
          APP_ID: "gateway",
          APP_PORT: String(offPort),
          DAPR_HTTP_PORT: String(sys.daprPort("gateway")),
          DAPR_API_TOKEN: sys.daprApiToken,
          RATE_LIMIT_PER_WINDOW: "0",
          LOG_LEVEL: "warn",
        },
        stdio: ["ignore", "ignore", "inherit"],
      });
      try {
        const deadline = Date.now() + 30_000;
        while ((await request(`http://127.0.0.1:${offPort}/healthz`, { signal }).catch(() => ({ status: 0 }))).status !== 200) {
          if (Date.now() > deadline || second.exitCode !== null) throw new Error("the second gateway did not start");
          await delay(200, undefined, { signal });
        }
        const item = `api/v1/inventory/${sku}`;
        const clients = await Promise.all(
          Array.from({ length: CLIENTS }, async (_, i) => `Bearer ${await devToken({ sub: `bench-client-${i}`, roles: ["operator"] }, { expiresIn: "1h" })}`),
        );
        // request() sends the operator's key unless told otherwise: an empty one is none.
        const asClient = (i: number) => ({ "x-api-key": "", authorization: clients[i % CLIENTS]! });
        const results = await measurePaths(
          sut,
          config,
          [
            { name: "no gateway: its sidecar invokes inventory", url: `http://127.0.0.1:${sys.daprPort("gateway")}/v1.0/invoke/inventory/method/${item}`, headers: { "dapr-api-token": sys.daprApiToken } },
            { name: "gateway, rate limit off, API key", url: `http://127.0.0.1:${offPort}/${item}`, headers: {} },
            { name: `gateway, rate limit off, bearer tokens of ${CLIENTS} clients`, url: `http://127.0.0.1:${offPort}/${item}`, headers: {}, headersFor: asClient },
            { name: `gateway, rate limit on, bearer tokens of ${CLIENTS} clients`, url: `${sys.gatewayUrl}/${item}`, headers: {}, headersFor: asClient },
            { name: "gateway, rate limit on, API key (one client, one counter)", url: `${sys.gatewayUrl}/${item}`, headers: {} },
          ],
          "edge",
          new Set(),
        );
        const base = results[0]!.latency;
        // Each "on" path against the "off" one with the same credentials.
        const offOf = [undefined, undefined, undefined, results[2]!.latency, results[1]!.latency];
        report.table(
          `Gateway latency with authentication and rate limiting: GET /api/v1/inventory/{sku} at ${config.readRate} req/s, open loop, ${(config.readMs / 1000).toFixed(0)} s per path (${sut.label})`,
          ["path", "requests", "p50", "p90", "p99", "errors", "vs no gateway p50", "vs no gateway p99", "vs rate limit off p50 (same credentials)", "vs rate limit off p99", "system CPU per request", "machine CPU busy"],
          results.map((r, i) => [
            ...latencyCells(r),
            i === 0 ? "baseline" : deltaMs(r.latency.p50 - base.p50),
            i === 0 ? "baseline" : deltaMs(r.latency.p99 - base.p99),
            offOf[i] ? deltaMs(r.latency.p50 - offOf[i]!.p50) : i > 0 ? "baseline" : "",
            offOf[i] ? deltaMs(r.latency.p99 - offOf[i]!.p99) : i > 0 ? "baseline" : "",
            ...cpuCells(r),
          ]),
          [
            `Rate limit on: RATE_LIMIT_PER_WINDOW=${RATE_LIMIT_ON}, never reached, so each request reads and raises its client's counter in gatewaystore (Redis here) through the sidecar, and is let through. With one client at ${config.readRate} req/s every request counts on the same key: the requests that arrive while it is being raised are counted together by the next raise.`,
            "System CPU: every process of the system but the second gateway (apps, sidecars, Redis, control plane); machine CPU busy: all cores, the load generator included.",
            "Every gateway path also authenticates (the gateway has no way to turn that off); its cost is the next table.",
            "Latency from each request's scheduled send time (open loop); each path measured in two halves, the second pass in reverse order.",
          ],
        );
      } finally {
        second.kill("SIGTERM");
      }
    },
    { RATE_LIMIT_PER_WINDOW: RATE_LIMIT_ON },
  );
  const auth = await authCost();
  report.table(
    `Authentication alone, in process: ${AUTH_CALLS} calls each, after 200 to warm up`,
    ["credential", "per call"],
    auth.map((a) => [a.name, `${a.us.toFixed(1)} µs`]),
    ["Authenticator.authenticate with the development secrets in memory: the API keys' hashes are read from the secret store once a minute, the issuer's keys once, so neither is in these figures."],
  );
} catch (err) {
  console.error(err);
  code = 1;
} finally {
  release();
  report.write(resultsPath);
  closeConnections();
}
process.exit(code);
