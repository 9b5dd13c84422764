/**
 * A MongoDB for the read side's tests and benchmark: FerretDB started on
 * 127.0.0.1:`port` with fresh data in `dataDir` (deploy/scripts/server.sh
 * ferretdb builds it once), stopped by stop(); or the MongoDB that
 * READSIDE_MONGODB_URL names, used as it is.
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, openSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");

export interface MongoForTests {
  /** The connection string, with the database `database`. */
  url: string;
  stop(): Promise<void>;
}

export async function startMongo(options: { port: number; dataDir: string; database: string }): Promise<MongoForTests> {
  const given = process.env.READSIDE_MONGODB_URL;
  if (given) return { url: given, stop: async () => {} };
  const env = { ...process.env, FERRETDB_PORT: String(options.port), FERRETDB_DATA_DIR: options.dataDir };
  rmSync(options.dataDir, { recursive: true, force: true });
  mkdirSync(options.dataDir, { recursive: true });
  const script = join(root, "deploy/scripts/server.sh");
  const install = spawnSync("bash", [script, "ferretdb", "install"], { env, encoding: "utf8" });
  if (install.status !== 0) throw new Error(`FerretDB: ${install.stderr}`);
  if (spawnSync("bash", [script, "ferretdb", "ready"], { env }).status === 0) throw new Error(`something already answers on port ${options.port}`);
  // Its log beside its data (it warns of every command it lacks, endSessions say).
  const log = openSync(join(options.dataDir, "..", "ferretdb.log"), "w");
  const server: ChildProcess = spawn("bash", [script, "ferretdb", "run"], { env, stdio: ["ignore", log, log], detached: true });
  for (let tries = 0; spawnSync("bash", [script, "ferretdb", "ready"], { env }).status !== 0; tries++) {
    if (server.exitCode !== null || tries > 150) throw new Error("FerretDB did not start");
    await delay(200);
  }
  return {
    // One connection: FerretDB applies a conditional replace non-atomically,
    // so over several connections two writers of one revision can both win
    // (a lost update; the read side's test of in-memory views catches it).
    url: `mongodb://127.0.0.1:${options.port}/${options.database}?maxPoolSize=1`,
    async stop() {
      if (server.pid === undefined || server.exitCode !== null) return;
      const exited = new Promise((done) => server.once("exit", done));
      process.kill(-server.pid, "SIGTERM");
      await exited;
    },
  };
}
