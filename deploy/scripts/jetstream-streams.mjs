#!/usr/bin/env node
// Makes a JetStream stream for every topic the system uses (events, dead
// letters, outbox relays; services/contracts/topology.ts lists them), as
// Dapr's JetStream component needs the streams to exist. One stream per
// topic, so that each app's durable consumer ({appID}) can read every topic
// under one name. Idempotent: existing streams are left as they are.
//
//   node deploy/scripts/jetstream-streams.mjs --port 4222     (after the build: reads dist/)
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { connect } from "nats";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** A stream's name: the topic with what stream names may not hold replaced. */
export function streamName(topic) {
  return `logistics_${topic.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

export async function ensureStreams(port) {
  const topology = join(root, "dist/services/contracts/topology.js");
  if (!existsSync(topology)) throw new Error("dist/ is missing: build first (npm run build)");
  const { allTopics } = await import(pathToFileURL(topology).href);
  const nc = await connect({ servers: `127.0.0.1:${port}` });
  try {
    const jsm = await nc.jetstreamManager();
    const existing = new Set();
    for await (const info of jsm.streams.list()) existing.add(info.config.name);
    let made = 0;
    const topics = allTopics(process.env.NAMESPACE || "default");
    for (const topic of topics) {
      const name = streamName(topic);
      if (existing.has(name)) continue;
      // File storage, a week of history: durable consumers resume from it.
      await jsm.streams.add({ name, subjects: [topic], storage: "file", max_age: 7 * 24 * 3600 * 1e9 });
      made += 1;
    }
    return { made, total: topics.length };
  } finally {
    await nc.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: "string", default: process.env.NATS_PORT || "4222" } } });
  try {
    const { made, total } = await ensureStreams(Number(values.port));
    console.log(`jetstream: ${total} streams (${made} new)`);
  } catch (err) {
    console.error(`jetstream-streams: ${err.message}`);
    process.exit(1);
  }
}
