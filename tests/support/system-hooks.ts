/**
 * One running system for every integration test file (a mocha root hook
 * plugin, loaded with --require): started before the first test, stopped
 * after the last. With K8S_NAMESPACE set (npm run test:k8s), the system is
 * the platform deployed on a cluster, attached to rather than started; with
 * COMPOSE_PROJECT set (npm run test:compose), docker-compose.yml's.
 */
import process from "node:process";
import { attachCompose } from "./compose.ts";
import { attachKubernetes } from "./kubernetes.ts";
import { startSystem } from "./system.ts";
import type { RunningSystem } from "./system.ts";

let running: RunningSystem | undefined;

/** The system the integration tests talk to. */
export function system(): RunningSystem {
  if (!running) throw new Error("the system is not running (load tests/support/system-hooks with --require)");
  return running;
}

/**
 * The run's port offset: 100 (apps 8100-8105, Redis 6479, ...), or
 * TEST_PORT_OFFSET to run beside another test run (CI's, say).
 */
const OFFSET = Number(process.env.TEST_PORT_OFFSET ?? 100);

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(200_000);
    const started = Date.now();
    if (process.env.K8S_NAMESPACE) {
      running = await attachKubernetes();
      console.log(`  attached to namespace ${process.env.K8S_NAMESPACE} in ${((Date.now() - started) / 1000).toFixed(1)} s (gateway ${running.gatewayUrl})`);
      return;
    }
    if (process.env.COMPOSE_PROJECT) {
      running = await attachCompose();
      console.log(`  attached to compose project ${process.env.COMPOSE_PROJECT} in ${((Date.now() - started) / 1000).toFixed(1)} s (gateway ${running.gatewayUrl})`);
      return;
    }
    running = await startSystem({
      portOffset: OFFSET,
      // Redis on 6479, RabbitMQ on 5772, Kafka on 9192, ...
      serverPortOffset: OFFSET,
      placementPort: 50005 + OFFSET,
      smtpPort: 2525 + OFFSET,
      // Short enough for the expiry test to wait on, long enough that a busy
      // machine still pays every other order in time.
      env: { RESERVATION_TTL_SECONDS: "10" },
      startTimeoutMs: 180_000,
      // The metrics tests and the dashboards' query check read it.
      prometheus: true,
      // The trace test reads an order's trace from it.
      jaeger: true,
    });
    console.log(`  system up in ${((Date.now() - started) / 1000).toFixed(1)} s (gateway ${running.gatewayUrl})`);
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await running?.stop();
  },
};
