#!/usr/bin/env node
// The operator's rebuild of the read side (the dashboard's views) from the
// services' own APIs, through the gateway: starts it and follows it to the
// end. Events keep applying meanwhile.
//   npm run rebuild:read-side [-- --gateway http://127.0.0.1:8000]
// The operator's credentials: LOGISTICS_API_KEY, or the development
// operator's key (deploy/dev/credentials.json, as npm start accepts it).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { setTimeout as delay } from "node:timers/promises";

const { values } = parseArgs({ options: { gateway: { type: "string", default: process.env.GATEWAY_URL ?? "http://127.0.0.1:8000" } } });
const credentials = () => JSON.parse(readFileSync(join(import.meta.dirname, "../dev/credentials.json"), "utf8"));
const key = process.env.LOGISTICS_API_KEY ?? credentials().api_keys.find((k) => k.role === "operator").key;
const url = `${values.gateway}/api/v1/dashboard/rebuild`;
const headers = { "x-api-key": key, accept: "application/json" };

const started = await fetch(url, { method: "POST", headers });
const body = await started.json().catch(() => ({}));
if (started.status !== 202) {
  console.error(`rebuild not started: ${started.status} ${body.detail ?? body.title ?? ""}`);
  process.exit(1);
}
console.log(`rebuilding the read side from the services' APIs (since ${body.started_at})`);
for (let said = ""; ; await delay(2000)) {
  const state = await (await fetch(url, { headers })).json();
  const line = `${state.state}: ${state.skus} SKUs, ${state.orders}${state.orders_total === undefined ? "" : ` of ${state.orders_total}`} orders`;
  if (line !== said) console.log((said = line));
  if (state.state === "done") process.exit(0);
  if (state.state !== "running") {
    console.error(`rebuild ${state.state}: ${state.error ?? "see the dashboard's log"}`);
    process.exit(1);
  }
}
