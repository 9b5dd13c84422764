/**
 * Starts the whole system for integration tests, as `npm start` does but
 * isolated from it: the broker and store of the PUBSUB and STATE choices
 * (deploy/scripts/servers/) on ports and in fresh data dirs of their own, a
 * placement service, and `dapr run -f` on a run template with every port
 * shifted, so a test run never shares ports, streams or name resolution with
 * a running `npm start`.
 * Readiness is the gateway's aggregated /health turning ok, never a sleep.
 * stop() ends exactly the processes start() began.
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import process from "node:process";
import { setTimeout as delay } from "node:timers/promises";
import { parse } from "yaml";

export interface SystemOptions {
  /** Added to every app, Dapr HTTP, gRPC and metrics port of dapr.yaml. */
  portOffset: number;
  /** Added to each server's usual port (Redis 6379, RabbitMQ 5672, ...). */
  serverPortOffset: number;
  placementPort: number;
  /** Where the test's own mailbox (an SMTP server) listens for the email binding. */
  smtpPort: number;
  /** Extra environment for every app (short timings for tests, say). */
  env?: Record<string, string>;
  /** How long to wait for the system to report healthy. */
  startTimeoutMs: number;
  /** Start on the servers' data of an earlier run at the same port offset (a restart), not on fresh data. */
  keepData?: boolean;
  /** Unpack a server's data directory from this tar.gz before it starts (a fixture), by server name. */
  seedData?: Record<string, string>;
  /** The pub/sub and state choices; default: PUBSUB and STATE, else redis. */
  pubsub?: string;
  state?: string;
  /** Also run Prometheus (on 9090 + serverPortOffset), scraping every app and sidecar every 2 s with the project's rules. */
  prometheus?: boolean;
  /** Also run Jaeger (OTLP on 4318 + serverPortOffset, its API on 16686 + serverPortOffset), and send it every app's and sidecar's spans. */
  jaeger?: boolean;
}

/** A message the mailbox accepted from the email binding. */
export interface MailMessage {
  from: string | undefined;
  to: string[];
  headers: Record<string, string>;
  raw: string;
}

export interface RunningSystem {
  gatewayUrl: string;
  /** Every sidecar requires it on calls to its API (DAPR_API_TOKEN). */
  daprApiToken: string;
  /** Every app but the gateway requires it on calls from its sidecar (APP_API_TOKEN). */
  appApiToken: string;
  /** The Dapr HTTP port of an app's sidecar. */
  daprPort(appId: string): number;
  /** The port an app itself listens on. */
  appPort(appId: string): number;
  /** Where each replica of an app listens, when it runs several (on Kubernetes); else its one port. */
  appPorts?(appId: string): number[];
  logDir: string;
  /** Every message the mailbox accepted so far. */
  mail: MailMessage[];
  /** The secrets the secret store holds for this run (SECRETS=file: the development file's). */
  secrets: Record<string, string>;
  /** The Prometheus that scrapes this run, when it has one. */
  prometheusUrl?: string;
  /** The Jaeger (its query API and UI) that this run's spans go to, when it has one. */
  jaegerUrl?: string;
  /** The broker and store servers this run started (redis, rabbitmq, postgres...), with their ports; not the control plane (placement, sentry). */
  servers: Record<string, number>;
  /** Every process of the run now: servers, control plane, sidecars, apps and what runs them. */
  pids(): number[];
  /** The pid of an app's own process (its runtime, under run-service.sh) or of its sidecar; undefined when not running. */
  appPid(appId: string): number | undefined;
  sidecarPid(appId: string): number | undefined;
  /** What a broker this run started holds unacknowledged, per queue (deploy/scripts/server.sh backlog). */
  backlog(name: string): Array<{ queue: string; undelivered: number; unacknowledged: number; pending?: string }>;
  /** Deletes on a broker this run started the events of `topic` that `appId` has not read yet (server.sh drop). */
  dropUnread(name: string, appId: string, topic: string): void;
  /** SIGKILLs a server this run started; startServer brings it back on the same port and data. */
  killServer(name: string): Promise<void>;
  startServer(name: string): Promise<void>;
  /** SIGKILLs an app's sidecar; the returned function starts it again as the CLI had (same arguments and environment). */
  killSidecar(appId: string): Promise<() => void>;
  /** SIGKILLs every process of the run at once, servers included (a machine crash, as far as the processes go). */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

interface Mailbox {
  port: number;
  close(): Promise<void>;
}

type MailboxModule = {
  startMailbox(options: { port: number; user: string; password: string; onMessage(message: MailMessage): void; log(line: string): void }): Promise<Mailbox>;
  devCredentials(): { user: string; password: string };
};

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");
const daprBin = join(process.env.DAPR_RUNTIME_PATH ?? homedir(), ".dapr", "bin");
/** The servers of deploy/scripts/servers/: the usual port, and the variables its script reads. */
const SERVERS: Record<string, { port: number; env: string }> = {
  redis: { port: 6379, env: "REDIS" },
  rabbitmq: { port: 5672, env: "RABBITMQ" },
  kafka: { port: 9092, env: "KAFKA" },
  nats: { port: 4222, env: "NATS" },
  mosquitto: { port: 1883, env: "MOSQUITTO" },
  postgres: { port: 5432, env: "POSTGRES" },
  // The read side's MongoDB-compatible server, in every run.
  ferretdb: { port: 27017, env: "FERRETDB" },
};

/** The server a pub/sub or state choice runs on (as deploy/scripts/lib.sh's server_for). */
export function serverFor(choice: string): string {
  return choice === "jetstream" ? "nats" : choice === "mqtt" ? "mosquitto" : choice;
}

/** The ports dapr.yaml gives each app and its sidecar (a test run shifts them all by its port offset). */
const TEMPLATE_APPS = (parse(readFileSync(join(root, "dapr.yaml"), "utf8")) as { apps: Array<{ appID: string; appPort: number; daprHTTPPort: number }> }).apps;
const APP_PORTS: Record<string, number> = Object.fromEntries(TEMPLATE_APPS.map((app) => [app.appID, app.appPort]));
const DAPR_PORTS: Record<string, number> = Object.fromEntries(TEMPLATE_APPS.map((app) => [app.appID, app.daprHTTPPort]));

function startProcess(name: string, command: string, args: string[], logDir: string, env: NodeJS.ProcessEnv = process.env, cwd = root): ChildProcess {
  const log = createWriteStream(join(logDir, `${name}.log`));
  // A process group of its own, so that stop() reaches every child it spawns.
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  // Both into one file, which ends when both have (one may write after the other closed).
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once("close", () => log.end());
  return child;
}

async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  try {
    process.kill(-child.pid, signal);
  } catch {
    return;
  }
  const timer = delay(timeoutMs).then(() => "timeout" as const);
  if ((await Promise.race([exited.then(() => "exited" as const), timer])) === "timeout") {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await exited;
  }
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>, failed?: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const why = failed?.();
    if (why) throw new Error(`${what}: ${why}`);
    if (await probe().catch(() => false)) return;
    await delay(200);
  }
  throw new Error(`${what}: not ready within ${timeoutMs} ms`);
}

async function tcpOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: "127.0.0.1", port }, () => {
      socket.end();
      done(true);
    });
    socket.on("error", () => done(false));
  });
}

/** Every process below `pid`, with its command line. */
function descendants(pid: number): Array<{ pid: number; cmdline: string[] }> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // pid (comm) state ppid ...: comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: Array<{ pid: number; cmdline: string[] }> = [];
  const queue = [...(children.get(pid) ?? [])];
  while (queue.length > 0) {
    const next = queue.shift()!;
    try {
      found.push({ pid: next, cmdline: readFileSync(`/proc/${next}/cmdline`, "utf8").split("\0").filter(Boolean) });
    } catch {
      continue;
    }
    queue.push(...(children.get(next) ?? []));
  }
  return found;
}

/** A process's command line; empty once it is gone. */
function cmdlineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

function killPid(pid: number, signal: NodeJS.Signals = "SIGKILL"): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function waitGone(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    // A zombie until its parent reaps it: gone as far as anyone can reach it.
    try {
      if (readFileSync(`/proc/${pid}/stat`, "utf8").includes(") Z ")) return;
    } catch {
      return;
    }
    await delay(50);
  }
  throw new Error(`pid ${pid} still running ${timeoutMs} ms after SIGKILL`);
}

/** Starts Redis, placement and every service with its sidecar; resolves once /health is ok. */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const runDir = join(root, ".dapr", `test-${options.portOffset}`);
  if (!options.keepData) rmSync(runDir, { recursive: true, force: true });
  // A restart on kept data writes its logs apart from the earlier runs'.
  let logDir = join(runDir, "logs");
  for (let n = 2; options.keepData && existsSync(logDir); n++) logDir = join(runDir, `logs-${n}`);
  mkdirSync(logDir, { recursive: true });
  const started: ChildProcess[] = [];
  const mail: MailMessage[] = [];
  let mailbox: Mailbox | undefined;
  const mailboxLog = createWriteStream(join(logDir, "mailbox.log"));
  // If the test run ends without stop() (interrupted, say), end what it started anyway.
  const onExit = () => {
    for (const child of started) {
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
    }
  };
  process.on("exit", onExit);
  // What the run holds in this process, once its processes are gone.
  const release = async () => {
    await mailbox?.close();
    mailboxLog.end();
    process.off("exit", onExit);
  };
  const stop = async () => {
    // Every process of the run, as they are now: whatever outlives the
    // graceful stop (an app whose parent was killed first) is killed after it.
    const all = started.flatMap((child) => (child.pid === undefined ? [] : descendants(child.pid)));
    // The services first (the CLI stops apps and sidecars), then what they used.
    for (const child of [...started].reverse()) await stopProcess(child, "SIGINT", 15_000);
    for (const { pid, cmdline } of all) {
      // Only the same process (a pid may have been given to another since).
      let now: string | undefined;
      try {
        now = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        continue;
      }
      if (now === `${cmdline.join("\0")}\0`) killPid(pid);
    }
    await release();
  };

  try {
    // The real SMTP server the email binding sends to, with the credentials
    // the binding reads from the secret store.
    // With SECRETS=env the sidecars read them from their environment: other
    // values than the file's, so that a test can tell which store answered.
    const mailboxModule = (await import(pathToFileURL(join(root, "deploy/scripts/mailbox.mjs")).href)) as MailboxModule;
    const fromEnv = process.env.SECRETS === "env";
    const dev = mailboxModule.devCredentials();
    const secrets: Record<string, string> = fromEnv
      ? { PAYMENT_PROVIDER_API_KEY: `env-${crypto.randomUUID()}`, SMTP_USER: "logistics-env", SMTP_PASSWORD: `env-${crypto.randomUUID()}` }
      : { SMTP_USER: dev.user, SMTP_PASSWORD: dev.password };
    mailbox = await mailboxModule.startMailbox({
      port: options.smtpPort,
      user: secrets.SMTP_USER!,
      password: secrets.SMTP_PASSWORD!,
      onMessage: (message) => mail.push(message),
      // Every SMTP session, for when a sidecar's mail does not get through.
      log: (line) => mailboxLog.writableEnded || mailboxLog.write(`${line}\n`),
    });
    // The gateway's secrets (the hashed API keys, the development issuer's
    // keys) are the development ones either way: the tests call with them.
    const devFile = JSON.parse(readFileSync(join(root, "components/secrets.dev.json"), "utf8")) as Record<string, string>;
    const gatewaySecrets = { GATEWAY_API_KEYS: devFile.GATEWAY_API_KEYS!, OIDC_DEV_JWKS: devFile.OIDC_DEV_JWKS! };
    // The dashboard's database: this run's FerretDB (the file store's copy moves its port the same way).
    const readSideSecrets = { MONGODB_URL: `mongodb://localhost:${SERVERS.ferretdb!.port + options.serverPortOffset}/logistics?maxPoolSize=1` };
    const secretEnv = fromEnv ? Object.fromEntries(Object.entries({ ...secrets, ...gatewaySecrets, ...readSideSecrets }).map(([name, value]) => [`LOGISTICS_${name}`, value])) : {};

    const pubsub = options.pubsub ?? process.env.PUBSUB ?? "redis";
    const state = options.state ?? process.env.STATE ?? "redis";
    const portMap: string[] = [];
    const servers: Record<string, { port: number; env: NodeJS.ProcessEnv; child?: ChildProcess }> = {};
    const script = join(root, "deploy/scripts/server.sh");
    const startServer = async (name: string) => {
      const server = servers[name]!;
      // Another server on the port would answer for ours, with other data.
      if (spawnSync("bash", [script, name, "ready"], { env: server.env }).status === 0) {
        throw new Error(`${name}: something already answers on port ${server.port}; stop it first`);
      }
      const child = startProcess(name, "bash", [script, name, "run"], logDir, server.env);
      started.push(child);
      server.child = child;
      await waitFor(
        name,
        90_000,
        async () => spawnSync("bash", [script, name, "ready"], { env: server.env }).status === 0,
        () => (child.exitCode !== null ? `exited (see ${logDir}/${name}.log)` : undefined),
      );
      const setup = spawnSync("bash", [script, name, "setup"], { env: server.env, encoding: "utf8" });
      if (setup.status !== 0) throw new Error(`${name} setup: ${setup.stderr}`);
    };
    for (const name of new Set([serverFor(pubsub), serverFor(state), "ferretdb"])) {
      const server = SERVERS[name];
      if (!server) throw new Error(`no server script for ${name}`);
      const port = server.port + options.serverPortOffset;
      const dataDir = join(runDir, name);
      const seed = options.seedData?.[name];
      if (seed) {
        rmSync(dataDir, { recursive: true, force: true });
        mkdirSync(dataDir, { recursive: true });
        const untar = spawnSync("tar", ["xzf", seed, "-C", dataDir, "--strip-components=1"], { encoding: "utf8" });
        if (untar.status !== 0) throw new Error(`unpacking ${seed}: ${untar.stderr}`);
      }
      servers[name] = { port, env: { ...process.env, [`${server.env}_PORT`]: String(port), [`${server.env}_DATA_DIR`]: dataDir } };
      await startServer(name);
      portMap.push(`${server.port}=${port}`);
    }

    // Sentry, the certificate authority of mTLS between the sidecars, beside
    // placement's ports (placement takes its port and the next three). Its
    // root certificate is kept with the data, so that a restart on kept data
    // trusts the same root.
    const sentryPort = options.placementPort + 4;
    servers.sentry = {
      port: sentryPort,
      env: { ...process.env, SENTRY_PORT: String(sentryPort), SENTRY_HEALTHZ_PORT: String(sentryPort + 1), SENTRY_METRICS_PORT: "off", SENTRY_DATA_DIR: join(runDir, "sentry") },
    };
    await startServer("sentry");

    // Placement's ports lie in the range the kernel hands out for outgoing
    // connections: one may be taken for a moment, so a failed start is tried again.
    let placement: ChildProcess | undefined;
    for (let attempt = 1; !placement; attempt++) {
      const child = startProcess(`placement${attempt > 1 ? `-${attempt}` : ""}`, join(daprBin, "placement"), [
        "--port", String(options.placementPort), "--listen-address", "127.0.0.1",
        "--healthz-port", String(options.placementPort + 1), "--healthz-listen-address", "127.0.0.1",
        "--metrics-port", String(options.placementPort + 2), "--metrics-listen-address", "127.0.0.1", "--log-level", "warn",
        // Its Raft port too (8201 by default), so that two systems' placements never collide.
        "--initial-cluster", `dapr-placement-0=127.0.0.1:${options.placementPort + 3}`,
        // The sidecars reach it over mTLS: its certificate from sentry too.
        "--tls-enabled", "--trust-anchors-file", join(runDir, "sentry", "ca.crt"), "--sentry-address", `127.0.0.1:${sentryPort}`,
      ], logDir);
      started.push(child);
      try {
        await waitFor("placement", 10_000, () => tcpOpen(options.placementPort), () => (child.exitCode !== null ? `exited (see ${logDir}/placement.log)` : undefined));
        placement = child;
      } catch (err) {
        if (attempt >= 3) throw err;
        await delay(2000);
      }
    }

    let jaegerUrl: string | undefined;
    const otlpPort = 4318 + options.serverPortOffset;
    if (options.jaeger) {
      const uiPort = 16686 + options.serverPortOffset;
      servers.jaeger = {
        port: otlpPort,
        env: { ...process.env, JAEGER_OTLP_PORT: String(otlpPort), JAEGER_UI_PORT: String(uiPort), JAEGER_HEALTH_PORT: String(13133 + options.serverPortOffset) },
      };
      await startServer("jaeger");
      jaegerUrl = `http://127.0.0.1:${uiPort}`;
    }

    const template = spawnSync(process.execPath, [
      join(root, "deploy/scripts/run-template.mjs"), "--out", runDir, "--pubsub", pubsub, "--state", state,
      "--port-offset", String(options.portOffset), "--port-map", portMap.join(","), "--placement-port", String(options.placementPort),
      "--smtp-port", String(options.smtpPort), "--sentry-port", String(sentryPort), "--trust-anchors", join(runDir, "sentry", "ca.crt"),
      // Prometheus's configuration beside the template (used when options.prometheus): samples every 2 s, so a test sees a change within seconds.
      "--scrape-interval", "2s",
      ...(options.jaeger ? ["--otlp-port", String(otlpPort)] : []),
      // The tests, the benchmarks and the fault suite are one client placing
      // orders by the hundred: the gateway's rate limit is off unless a test
      // sets it (its own tests run it against the real store).
      ...Object.entries({ RATE_LIMIT_PER_WINDOW: "0", ...options.env }).flatMap(([name, value]) => ["--env", `${name}=${value}`]),
    ], { cwd: root, encoding: "utf8" });
    if (template.status !== 0) throw new Error(`run template: ${template.stderr}`);

    // Both tokens on, as in production: daprd reads them from the CLI's
    // environment, and the apps get the same variables.
    const daprApiToken = crypto.randomUUID();
    const appApiToken = crypto.randomUUID();
    const cli = startProcess("dapr-run", join(daprBin, "dapr"), ["run", "-f", template.stdout.trim()], logDir, {
      ...process.env,
      PATH: `${daprBin}:${process.env.PATH}`,
      DAPR_API_TOKEN: daprApiToken,
      APP_API_TOKEN: appApiToken,
      ...secretEnv,
    });
    started.push(cli);
    const gatewayUrl = `http://127.0.0.1:${APP_PORTS.gateway! + options.portOffset}`;
    await waitFor(
      "the system (GET /health)",
      options.startTimeoutMs,
      async () => {
        const response = await fetch(`${gatewayUrl}/health`, { signal: AbortSignal.timeout(5000) });
        const body = (await response.json()) as { status?: string };
        return response.status === 200 && body.status === "ok";
      },
      () => (cli.exitCode !== null ? `dapr run exited with ${cli.exitCode} (see ${logDir}/dapr-run.log)` : undefined),
    );
    let prometheusUrl: string | undefined;
    if (options.prometheus) {
      const port = 9090 + options.serverPortOffset;
      servers.prometheus = {
        port,
        env: { ...process.env, PROMETHEUS_PORT: String(port), PROMETHEUS_CONFIG: join(runDir, "prometheus.yml"), PROMETHEUS_DATA_DIR: join(runDir, "prometheus") },
      };
      await startServer("prometheus");
      prometheusUrl = `http://127.0.0.1:${port}`;
    }
    // The processes started here and theirs: a sidecar started again by killSidecar is one of the former.
    const runPids = () => started.flatMap((child) => (child.pid === undefined ? [] : [{ pid: child.pid, cmdline: cmdlineOf(child.pid) }, ...descendants(child.pid)]));
    const sidecarPid = (appId: string) =>
      runPids().find((p) => p.cmdline[0]?.endsWith("daprd") && p.cmdline.includes("--app-id") && p.cmdline[p.cmdline.indexOf("--app-id") + 1] === appId)?.pid;
    const appPid = (appId: string) =>
      runPids().find((p) => p.cmdline.some((arg) => arg.endsWith(`/services/${appId}/main.js`) || arg.endsWith(`/services/${appId}/main.ts`)) && !p.cmdline[0]?.endsWith("bash"))?.pid;
    return {
      gatewayUrl,
      ...(prometheusUrl ? { prometheusUrl } : {}),
      ...(jaegerUrl ? { jaegerUrl } : {}),
      daprApiToken,
      appApiToken,
      daprPort: (appId) => DAPR_PORTS[appId]! + options.portOffset,
      appPort: (appId) => APP_PORTS[appId]! + options.portOffset,
      logDir,
      mail,
      secrets,
      servers: Object.fromEntries(Object.entries(servers).filter(([name]) => !["sentry", "prometheus", "jaeger"].includes(name)).map(([name, s]) => [name, s.port])),
      pids: () => runPids().map((p) => p.pid),
      appPid,
      sidecarPid,
      async killServer(name) {
        const child = servers[name]?.child;
        if (!child?.pid) throw new Error(`no server ${name} in this run`);
        const pids = [child.pid, ...descendants(child.pid).map((p) => p.pid)];
        for (const pid of pids) killPid(pid);
        await Promise.all(pids.map((pid) => waitGone(pid)));
      },
      startServer,
      backlog(name) {
        const server = servers[name];
        if (!server) throw new Error(`no server ${name} in this run`);
        const out = spawnSync("bash", [script, name, "backlog"], { env: server.env, encoding: "utf8" });
        if (out.status !== 0) throw new Error(`${name} backlog: ${out.stderr}`);
        return out.stdout.split("\n").filter(Boolean).map((line) => {
          const [queue, undelivered, unacknowledged, pending] = line.trim().split(/\s+/);
          return { queue: queue!, undelivered: Number(undelivered), unacknowledged: Number(unacknowledged), ...(pending ? { pending } : {}) };
        });
      },
      dropUnread(name, appId, topic) {
        const server = servers[name];
        if (!server) throw new Error(`no server ${name} in this run`);
        const out = spawnSync("bash", [script, name, "drop", appId, topic], { env: server.env, encoding: "utf8" });
        if (out.status !== 0) throw new Error(`${name} drop: ${out.stderr}`);
      },
      async killSidecar(appId) {
        const pid = sidecarPid(appId);
        if (pid === undefined) throw new Error(`no sidecar of ${appId} running`);
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
        const environ = Object.fromEntries(
          readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
        );
        // Its working directory too: the app's, which relative paths in components start from.
        const cwd = readlinkSync(`/proc/${pid}/cwd`);
        killPid(pid);
        await waitGone(pid);
        let restarts = 0;
        return () => {
          restarts += 1;
          started.push(startProcess(`${appId}-daprd-${restarts}`, cmdline[0]!, cmdline.slice(1), logDir, environ, cwd));
        };
      },
      async crash() {
        const pids = runPids().map((p) => p.pid);
        for (const pid of pids) killPid(pid);
        await Promise.all(pids.map((pid) => waitGone(pid)));
        await release();
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The TCP sockets that processes `pids` listen on, read from /proc: address (as the kernel prints it, IPv4 or IPv6), port and pid. */
export function listeningSockets(pids: number[]): Array<{ address: string; port: number; pid: number }> {
  const byInode = new Map<string, { address: string; port: number }>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let table: string;
    try {
      table = readFileSync(file, "utf8");
    } catch {
      continue; // no IPv6
    }
    for (const line of table.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st ... inode: state 0A is LISTEN.
      if (fields.length < 10 || fields[3] !== "0A") continue;
      const [hex, port] = fields[1]!.split(":");
      byInode.set(fields[9]!, { address: kernelAddress(hex!), port: parseInt(port!, 16) });
    }
  }
  const found: Array<{ address: string; port: number; pid: number }> = [];
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone meanwhile
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const socket = byInode.get(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? "");
      if (socket) found.push({ ...socket, pid });
    }
  }
  return found;
}

/**
 * /proc/net/tcp's hex address: IPv4 as 4 little-endian bytes, IPv6 as 4
 * little-endian 32-bit words. An IPv4-mapped IPv6 address (a Java server's
 * 127.0.0.1, say) comes out as the IPv4 address; other IPv6 addresses in
 * full lowercase groups (::1 is 0:0:0:0:0:0:0:1).
 */
export function kernelAddress(hex: string): string {
  const bytes = (word: string) => word.match(/../g)!.reverse();
  if (hex.length === 8) return bytes(hex).map((b) => parseInt(b, 16)).join(".");
  const words = hex.match(/.{8}/g)!.flatMap(bytes).join("").toLowerCase();
  if (/^0{20}ffff/.test(words)) return words.slice(24).match(/../g)!.map((b) => parseInt(b, 16)).join(".");
  return words.match(/.{4}/g)!.map((g) => g.replace(/^0+(?=.)/, "")).join(":");
}

/** How many events of `type` an app's subscriptions have handled with `outcome` (applied, duplicate…), from its /metrics. */
export async function eventDeliveries(running: RunningSystem, appId: string, type: string, outcome: string): Promise<number> {
  // Every replica counts the deliveries it handled: their sum is the app's.
  let total = 0;
  for (const port of running.appPorts?.(appId) ?? [running.appPort(appId)]) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith("dapr_events_total{") && l.includes(`type="${type}"`) && l.includes(`outcome="${outcome}"`));
    total += line ? Number(line.split(" ").pop()) : 0;
  }
  return total;
}

/** Polls `read` until `done` holds for its value; fails with the last value after `timeoutMs`. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await delay(100);
    last = await read();
  }
  return last;
}
