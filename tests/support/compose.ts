/**
 * The end-to-end suite against the platform as docker-compose.yml runs it
 * (npm run test:compose), instead of a system the tests start: the gateway
 * through its published port, each sidecar's API and app port through a
 * forward to its container's address on the compose network, and the mail
 * the compose file's mail catcher keeps in its folder.
 *
 * Set by deploy/scripts/test-compose.sh, which runs the suite inside the
 * engine's network namespace (where the published port and the container
 * addresses are):
 *   COMPOSE_PROJECT       the compose project the platform runs as
 *   COMPOSE_GATEWAY_URL   the gateway's published address (http://127.0.0.1:8000)
 *   COMPOSE_MAILBOX_DIR   the mail catcher's folder (.dapr/compose/mailbox)
 *   COMPOSE_ENV_FILE      compose-env.sh's file with the tokens (.dapr/compose/env)
 * and DOCKER_HOST when the engine is not the default one.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import type { Server, Socket } from "node:net";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import process from "node:process";
import { processHooksOf } from "./deployed.ts";
import type { MailMessage, RunningSystem } from "./system.ts";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");

/** The sidecar's HTTP API port (docker-compose.yml's --dapr-http-port). */
const DAPR_HTTP_PORT = 3500;

type Container = {
  Config: { Env: string[]; Labels: Record<string, string> };
  NetworkSettings: { Networks: Record<string, { IPAddress: string }> };
};

function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8" });
}

/** Every connection a forward carries, to end them when the suite does. */
const sockets = new Set<Socket>();

/** A loopback port that forwards each connection to host:port (kubectl port-forward, for a container). */
function forward(host: string, port: number): Promise<Server> {
  const server = createServer((client) => {
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once("close", () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  return new Promise((resolveServer, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolveServer(server));
  });
}

/** KEY=value lines of compose-env.sh's file. */
function readEnvFile(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const match of readFileSync(path, "utf8").matchAll(/^([A-Z_]+)=([^'\n].*)$/gm)) values[match[1]!] = match[2]!;
  return values;
}

/** The platform docker-compose.yml runs as COMPOSE_PROJECT, seen as the suites see a system they started. */
export async function attachCompose(): Promise<RunningSystem> {
  const project = process.env.COMPOSE_PROJECT;
  if (!project) throw new Error("COMPOSE_PROJECT is not set (npm run test:compose sets it)");
  const gatewayUrl = process.env.COMPOSE_GATEWAY_URL ?? "http://127.0.0.1:8000";
  const mailDir = process.env.COMPOSE_MAILBOX_DIR ?? join(root, ".dapr/compose/mailbox");
  const env = readEnvFile(process.env.COMPOSE_ENV_FILE ?? join(root, ".dapr/compose/env"));
  if (!env.DAPR_API_TOKEN || !env.APP_API_TOKEN) throw new Error("the compose env file holds no tokens (run deploy/docker/compose-env.sh)");

  // Every app container: its app id, the port its app listens on, its address.
  const ids = docker("ps", "-q", "--filter", `label=com.docker.compose.project=${project}`).split("\n").filter(Boolean);
  if (ids.length === 0) throw new Error(`no container of compose project ${project} runs`);
  const containers = JSON.parse(docker("inspect", ...ids)) as Container[];
  const servers: Server[] = [];
  const local: Record<string, { dapr: number; app: number }> = {};
  for (const container of containers) {
    const vars = Object.fromEntries(container.Config.Env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    const address = Object.values(container.NetworkSettings.Networks)[0]?.IPAddress;
    if (!vars.APP_ID || !vars.APP_PORT || !address) continue;
    const dapr = await forward(address, DAPR_HTTP_PORT);
    const app = await forward(address, Number(vars.APP_PORT));
    servers.push(dapr, app);
    local[vars.APP_ID] = { dapr: (dapr.address() as { port: number }).port, app: (app.address() as { port: number }).port };
  }

  // Ready: every app answers /readyz (its sidecar and dependencies up), as
  // Kubernetes waits for readiness before a pod gets traffic.
  const closeForwards = async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
  };
  const deadline = Date.now() + 180_000;
  for (const [app, { app: port }] of Object.entries(local)) {
    for (;;) {
      const status = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3_000) }).then(
        (r) => r.status,
        (err: Error) => `${err.message} (${String((err.cause as Error | undefined)?.message ?? "")})`,
      );
      if (status === 200) break;
      if (Date.now() > deadline) {
        await closeForwards();
        throw new Error(`${app} was not ready within 180 s (/readyz: ${status})`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  // The mail catcher's messages, as it writes them (whole files, .eml).
  const { parseHeaders } = (await import(pathToFileURL(join(root, "deploy/scripts/mailbox.mjs")).href)) as {
    parseHeaders(raw: string): Record<string, string>;
  };
  const mail: MailMessage[] = [];
  const seen = new Set<string>();
  const readMail = () => {
    if (!existsSync(mailDir)) return;
    for (const name of readdirSync(mailDir).filter((n) => n.endsWith(".eml") && !seen.has(n)).sort()) {
      seen.add(name);
      const raw = readFileSync(join(mailDir, name), "utf8");
      const headers = parseHeaders(raw);
      const addresses = (field = "") => [...field.matchAll(/[^\s<>,"]+@[^\s<>,"]+/g)].map((m) => m[0]);
      mail.push({ from: addresses(headers.from)[0], to: addresses(headers.to), headers, raw });
    }
  };
  readMail();
  const watcher = setInterval(readMail, 200);

  const ports = (app: string) => {
    const found = local[app];
    if (!found) throw new Error(`no container of app ${app} runs in compose project ${project}`);
    return found;
  };
  // Jaeger's query API and Prometheus, published on loopback as docker-compose.yml says.
  const running = new Set(containers.map((c) => c.Config.Labels["com.docker.compose.service"]));
  const prometheusUrl = running.has("prometheus") ? (process.env.COMPOSE_PROMETHEUS_URL ?? "http://127.0.0.1:9090") : undefined;
  const jaegerUrl = running.has("jaeger") ? (process.env.COMPOSE_JAEGER_URL ?? "http://127.0.0.1:16686") : undefined;
  return {
    gatewayUrl,
    ...(prometheusUrl ? { prometheusUrl } : {}),
    ...(jaegerUrl ? { jaegerUrl } : {}),
    daprApiToken: env.DAPR_API_TOKEN,
    appApiToken: env.APP_API_TOKEN,
    daprPort: (app) => ports(app).dapr,
    appPort: (app) => ports(app).app,
    appPorts: (app) => [ports(app).app],
    logDir: join(root, ".dapr", "compose", "logs"),
    mail,
    ...processHooksOf("compose", root),
    stop: async () => {
      clearInterval(watcher);
      await closeForwards();
    },
  };
}
