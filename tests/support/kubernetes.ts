/**
 * The end-to-end suite against the platform deployed on a Kubernetes
 * cluster (npm run test:k8s), instead of a system the tests start: the
 * gateway through its Service, each sidecar's API and app port through
 * `kubectl port-forward` (Dapr's API listens on the pod's loopback only),
 * Jaeger and Prometheus through their Services where the overlay has them, and
 * the test's own SMTP server on the node's address, where the deployment's
 * email binding sends (its smtp-host Secret names it).
 *
 * Set by deploy/scripts/test-k8s.sh, which runs the suite inside the
 * cluster's network namespace:
 *   K8S_NAMESPACE      where the platform runs
 *   K8S_KUBECTL        kubectl, with --kubeconfig and what else it needs
 *   K8S_MAILBOX        host:port the mailbox listens on
 *   K8S_MAILBOX_TLS    the PEM key and certificate files it offers STARTTLS
 *                      with, "key:cert" (Go's SMTP client logs in to a relay
 *                      that is not on loopback only over TLS)
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import process from "node:process";
import { processHooksOf } from "./deployed.ts";
import type { MailMessage, RunningSystem } from "./system.ts";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../..");

/** The sidecar's HTTP API port (Dapr's default, which the injector keeps). */
const DAPR_HTTP_PORT = 3500;

type MailboxModule = {
  startMailbox(options: { host: string; port: number; user: string; password: string; tls?: { key: string; cert: string }; onMessage(message: MailMessage): void }): Promise<{ port: number; close(): Promise<void> }>;
  devCredentials(): { user: string; password: string };
};

function kubectlCommand(): string[] {
  const command = process.env.K8S_KUBECTL;
  if (!command) throw new Error("K8S_KUBECTL is not set (npm run test:k8s sets it)");
  return command.split(" ");
}

function kubectl(...args: string[]): string {
  const [bin, ...base] = kubectlCommand();
  return execFileSync(bin!, [...base, ...args], { encoding: "utf8" });
}

/**
 * Forwards local ports to a pod; resolves to the local port of each remote
 * port, in order, once kubectl reports them.
 */
function portForward(namespace: string, pod: string, remotePorts: number[]): Promise<{ child: ChildProcess; ports: number[] }> {
  const [bin, ...base] = kubectlCommand();
  const child = spawn(bin!, [...base, "-n", namespace, "port-forward", "--address", "127.0.0.1", `pod/${pod}`, ...remotePorts.map((p) => `:${p}`)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolvePorts, reject) => {
    const found = new Map<number, number>();
    let output = "";
    const timer = setTimeout(() => reject(new Error(`port-forward to ${pod} gave no ports within 30 s: ${output}`)), 30_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      for (const match of output.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)) found.set(Number(match[2]), Number(match[1]));
      if (remotePorts.every((p) => found.has(p))) {
        clearTimeout(timer);
        resolvePorts({ child, ports: remotePorts.map((p) => found.get(p)!) });
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`port-forward to ${pod} ended (${code}): ${output}`));
    });
  });
}

/** The platform as deployed in K8S_NAMESPACE, seen as the suites see a system they started. */
export async function attachKubernetes(): Promise<RunningSystem> {
  const namespace = process.env.K8S_NAMESPACE ?? "logistics";
  const [mailHost, mailPort] = (process.env.K8S_MAILBOX ?? "").split(":");
  if (!mailHost || !mailPort) throw new Error("K8S_MAILBOX (host:port) is not set (npm run test:k8s sets it)");

  const secret = (name: string) => Buffer.from(kubectl("-n", namespace, "get", "secret", name, "-o", "jsonpath={.data.token}"), "base64").toString("utf8");
  const daprApiToken = secret("dapr-api-token");
  const appApiToken = secret("app-api-token");
  const gateway = JSON.parse(kubectl("-n", namespace, "get", "service", "gateway", "-o", "json")) as { spec: { clusterIP: string; ports: Array<{ port: number }> } };
  const gatewayUrl = `http://${gateway.spec.clusterIP}:${gateway.spec.ports[0]!.port}`;
  // Jaeger's query API and Prometheus, where the overlay deploys them (components/observability).
  const services = (JSON.parse(kubectl("-n", namespace, "get", "services", "-o", "json")) as { items: Array<{ metadata: { name: string }; spec: { clusterIP: string; ports: Array<{ name?: string; port: number }> } }> }).items;
  const serviceUrl = (name: string, port: string) => {
    const service = services.find((s) => s.metadata.name === name);
    const servicePort = service?.spec.ports.find((p) => p.name === port);
    return service && servicePort ? `http://${service.spec.clusterIP}:${servicePort.port}` : undefined;
  };
  const prometheusUrl = serviceUrl("prometheus", "http");
  const jaegerUrl = serviceUrl("jaeger", "query");

  const forwards: ChildProcess[] = [];
  const local: Record<string, Array<{ dapr: number; app: number }>> = {};
  const mail: MailMessage[] = [];
  const mailboxModule = (await import(pathToFileURL(join(root, "deploy/scripts/mailbox.mjs")).href)) as MailboxModule;
  const [keyFile, certFile] = (process.env.K8S_MAILBOX_TLS ?? "").split(":");
  const tls = keyFile && certFile ? { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8") } : undefined;
  const mailbox = await mailboxModule.startMailbox({ host: mailHost, port: Number(mailPort), ...mailboxModule.devCredentials(), tls, onMessage: (m) => mail.push(m) });
  // Every pod with a Dapr sidecar: its app id and the port its app listens on
  // (an app's replicas each get their forward; the first one serves daprPort).
  type Pod = { metadata: { name: string; annotations?: Record<string, string> }; status: { phase: string } };
  const pods = (JSON.parse(kubectl("-n", namespace, "get", "pods", "-o", "json")) as { items: Pod[] }).items;
  const replicas = pods.flatMap((pod) => {
    const annotations = pod.metadata.annotations ?? {};
    return annotations["dapr.io/enabled"] === "true" && pod.status.phase === "Running"
      ? [{ pod: pod.metadata.name, id: annotations["dapr.io/app-id"]!, port: Number(annotations["dapr.io/app-port"]) }]
      : [];
  });
  try {
    for (const { pod, id, port } of replicas) {
      const { child, ports } = await portForward(namespace, pod, [DAPR_HTTP_PORT, port]);
      forwards.push(child);
      (local[id] ??= []).push({ dapr: ports[0]!, app: ports[1]! });
    }
  } catch (err) {
    for (const child of forwards) child.kill();
    await mailbox.close();
    throw err;
  }
  const ports = (app: string) => {
    const found = local[app];
    if (!found) throw new Error(`no pod of app ${app} with a Dapr sidecar runs in namespace ${namespace}`);
    return found;
  };

  return {
    gatewayUrl,
    daprApiToken,
    appApiToken,
    daprPort: (app) => ports(app)[0]!.dapr,
    appPort: (app) => ports(app)[0]!.app,
    appPorts: (app) => ports(app).map((p) => p.app),
    ...(prometheusUrl ? { prometheusUrl } : {}),
    ...(jaegerUrl ? { jaegerUrl } : {}),
    logDir: join(root, ".dapr", "k8s", "logs"),
    mail,
    ...processHooksOf("Kubernetes", root),
    stop: async () => {
      for (const child of forwards) child.kill();
      await mailbox.close();
    },
  };
}
