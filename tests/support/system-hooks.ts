/**
 * One running system for every integration test file (a mocha root hook
 * plugin, loaded with --require): started before the first test, stopped
 * after the last.
 */
import { startSystem } from "./system.ts";
import type { RunningSystem } from "./system.ts";

let running: RunningSystem | undefined;

/** The system the integration tests talk to. */
export function system(): RunningSystem {
  if (!running) throw new Error("the system is not running (load tests/support/system-hooks with --require)");
  return running;
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(200_000);
    const started = Date.now();
    running = await startSystem({
      portOffset: 100,
      // Redis on 6479, RabbitMQ on 5772, Kafka on 9192, ...
      serverPortOffset: 100,
      placementPort: 50105,
      smtpPort: 2625,
      // Short enough for the expiry test to wait on, long enough that a busy
      // machine still pays every other order in time.
      env: { RESERVATION_TTL_SECONDS: "10" },
      startTimeoutMs: 180_000,
    });
    console.log(`  system up in ${((Date.now() - started) / 1000).toFixed(1)} s (gateway ${running.gatewayUrl})`);
  },
  async afterAll(this: Mocha.Context) {
    this.timeout(60_000);
    await running?.stop();
  },
};
