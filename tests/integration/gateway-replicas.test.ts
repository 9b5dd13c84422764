/**
 * Two more gateway processes, started beside the system's on its sidecar
 * (as two replicas of a Deployment would share one store), each with a rate
 * limit of 10 a window: one client's requests, sent to both in turn and in
 * bursts, are let in exactly 10 times between them.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { devToken } from "../support/credentials.ts";
import { system } from "../support/system-hooks.ts";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");
const LIMIT = 10;

/** A gateway process on the system's gateway sidecar, on `port`, run as run-service.sh runs it (RUNTIME picks Node or Deno). */
function startGateway(port: number): ChildProcess {
  const running = system();
  return spawn("bash", [join(root, "deploy/scripts/run-service.sh"), "gateway"], {
    env: {
      ...process.env,
      SERVICE_RESTART: "no",
      APP_ID: "gateway",
      APP_PORT: String(port),
      DAPR_HTTP_PORT: String(running.daprPort("gateway")),
      DAPR_API_TOKEN: running.daprApiToken,
      RATE_LIMIT_PER_WINDOW: String(LIMIT),
      RATE_LIMIT_WINDOW_SECONDS: "3600",
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "ignore", "inherit"],
    detached: true,
  });
}

describe("the rate limit across two gateway processes", function () {
  this.timeout(60_000);
  const replicas: ChildProcess[] = [];
  // Beside the system's ports, read once it runs.
  const ports = () => [20, 21].map((offset) => system().appPort("gateway") + offset);

  before(async () => {
    for (const port of ports()) replicas.push(startGateway(port));
    for (const port of ports()) {
      const deadline = Date.now() + 30_000;
      while (!(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false))) {
        if (Date.now() > deadline) throw new Error(`the gateway on ${port} did not start`);
        await delay(200);
      }
    }
  });

  after(() => {
    for (const child of replicas) if (child.pid) process.kill(-child.pid, "SIGTERM");
  });

  it(`lets one client in exactly ${LIMIT} times between them, then answers 429 on both`, async () => {
    // A client of its own, so that no other test's requests count.
    const client = { authorization: `Bearer ${await devToken({ sub: `replicas-${crypto.randomUUID()}`, roles: ["operator"] }, { expiresIn: "10m" })}` };
    const statuses: number[] = [];
    // Three bursts of ten, each spread over both processes at once.
    for (let burst = 0; burst < 3; burst++) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, i) => fetch(`http://127.0.0.1:${ports()[i % 2]}/api/v1/inventory?page_size=1`, { headers: client })),
      );
      for (const answer of answers) {
        statuses.push(answer.status);
        if (answer.status === 429) expect(Number(answer.headers.get("retry-after"))).to.be.greaterThan(0);
      }
    }
    expect(statuses.filter((s) => s === 200), JSON.stringify(statuses)).to.have.length(LIMIT);
    expect(statuses.filter((s) => s === 429)).to.have.length(30 - LIMIT);
  });
});
