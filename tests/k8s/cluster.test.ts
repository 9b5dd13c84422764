/**
 * What the manifests promise, checked on the cluster they were applied to
 * (npm run test:k8s runs it after the end-to-end suite, with the same
 * attached system): every service runs with a daprd the injector added,
 * ready and never restarted, its probes answering where the manifests point
 * them; accessControl holds between the pods' sidecars (over mTLS, with
 * sentry's certificates); Prometheus in the namespace scrapes each app and
 * each sidecar (components/observability); and, where the overlay has
 * NetworkPolicies (prod), a pod of the platform reaches another only on
 * Dapr's sidecar port, while without them (dev) the same connection goes
 * through.
 */
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import process from "node:process";
import { scrapeTargets } from "../support/metrics.ts";
import { accessCaseTitle, accessControlCases, expectAccessControl } from "../support/access-control.ts";
import { system } from "../support/system-hooks.ts";

const namespace = process.env.K8S_NAMESPACE ?? "logistics";
const choice = process.env.K8S_CHOICE ?? "dev";

/** kubectl in the namespace; `input`, when given, is its standard input. */
function kubectl(args: string[], input?: string): string {
  const [bin, ...base] = (process.env.K8S_KUBECTL ?? "kubectl").split(" ");
  return execFileSync(bin!, [...base, "-n", namespace, ...args], { input, encoding: "utf8", timeout: 60_000 });
}

interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface Container {
  name: string;
  image: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
}
interface Pod {
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { containers: Container[] };
  status: {
    podIP: string;
    containerStatuses?: Array<{ name: string; ready: boolean; restartCount: number; lastState?: { terminated?: { reason?: string; exitCode?: number; message?: string } } }>;
  };
}

function platformPods(): Pod[] {
  const pods = (JSON.parse(kubectl(["get", "pods", "-l", "app.kubernetes.io/part-of=logistics", "-o", "json"])) as { items: Pod[] }).items;
  return pods.filter((pod) => pod.metadata.annotations?.["dapr.io/enabled"] === "true");
}

/**
 * Opens a TCP connection from inside `pod`'s app container, with its own
 * runtime (Node.js or Deno), to ip:port: "connected", "refused" or "timed out".
 */
function connectFrom(pod: Pod, ip: string, port: number): string {
  const app = pod.spec.containers.find((c) => c.name !== "daprd")!;
  const script = `import("node:net").then(({connect})=>{const s=connect(${port},"${ip}");s.setTimeout(3000);` +
    `s.on("connect",()=>{console.log("connected");s.destroy()});s.on("timeout",()=>{console.log("timed out");s.destroy()});` +
    `s.on("error",e=>console.log(e.code==="ECONNREFUSED"?"refused":e.code))})`;
  const run = app.image.includes("-deno") ? ["deno", "eval", script] : ["node", "-e", script];
  return kubectl(["exec", pod.metadata.name, "-c", app.name, "--", ...run]).trim();
}

describe(`on Kubernetes (${choice})`, function () {
  this.timeout(60_000);

  it("runs every service with an injected daprd, every container ready and never restarted", () => {
    const pods = platformPods();
    const apps = new Set(pods.map((pod) => pod.metadata.annotations!["dapr.io/app-id"]));
    expect([...apps].sort()).to.deep.equal(["dashboard", "gateway", "inventory", "notification", "order", "payment", "tracking"]);
    for (const pod of pods) {
      const names = pod.spec.containers.map((c) => c.name);
      expect(names, pod.metadata.name).to.include("daprd");
      expect(names, pod.metadata.name).to.have.length(2);
      for (const status of pod.status.containerStatuses ?? []) {
        expect(status.ready, `${pod.metadata.name}/${status.name} ready`).to.equal(true);
        const last = status.lastState?.terminated;
        expect(status.restartCount, `${pod.metadata.name}/${status.name} restarts (last: ${JSON.stringify(last)})`).to.equal(0);
      }
    }
  });

  it("has Dapr's injector asked for every pod of the namespace, failing closed: no pod of it runs without its sidecar", () => {
    const webhook = (JSON.parse(kubectl(["get", "mutatingwebhookconfiguration", "dapr-sidecar-injector", "-o", "json"])) as {
      webhooks: Array<{ name: string; failurePolicy: string; namespaceSelector?: { matchLabels?: Record<string, string> } }>;
    }).webhooks.find((w) => w.name === "sidecar-injector.dapr.io")!;
    expect(webhook.failurePolicy).to.equal("Fail");
    const labels = (JSON.parse(kubectl(["get", "namespace", namespace, "-o", "json"])) as { metadata: { labels: Record<string, string> } }).metadata.labels;
    const selector = Object.entries(webhook.namespaceSelector?.matchLabels ?? {});
    expect(selector, "the webhook's namespaceSelector").to.have.length.greaterThan(0);
    for (const [key, value] of selector) expect(labels[key], `namespace label ${key}`).to.equal(value);
    // A pod that asks for a sidecar, created on the API server as a dry run
    // (the webhook runs, nothing is kept): it comes back with its daprd.
    const probe = JSON.stringify({
      apiVersion: "v1", kind: "Pod",
      metadata: { name: "injection-probe", annotations: { "dapr.io/enabled": "true", "dapr.io/app-id": "injection-probe" } },
      spec: { containers: [{ name: "app", image: platformPods()[0]!.spec.containers.find((c) => c.name !== "daprd")!.image }] },
    });
    const created = JSON.parse(kubectl(["create", "--dry-run=server", "-o", "json", "-f", "-"], probe)) as Pod;
    expect(created.spec.containers.map((c) => c.name)).to.deep.equal(["app", "daprd"]);
  });

  it("probes each app on /healthz (startup, liveness) and /readyz (readiness), which answer 200 on its port", async () => {
    for (const pod of platformPods()) {
      const app = pod.spec.containers.find((c) => c.name !== "daprd")!;
      expect(app.startupProbe?.httpGet?.path, pod.metadata.name).to.equal("/healthz");
      expect(app.livenessProbe?.httpGet?.path, pod.metadata.name).to.equal("/healthz");
      expect(app.readinessProbe?.httpGet?.path, pod.metadata.name).to.equal("/readyz");
      const id = pod.metadata.annotations!["dapr.io/app-id"]!;
      for (const path of ["/healthz", "/readyz"]) {
        const response = await fetch(`http://127.0.0.1:${system().appPort(id)}${path}`, { signal: AbortSignal.timeout(5_000) });
        expect(response.status, `${id} ${path}`).to.equal(200);
      }
    }
  });

  it("has Prometheus scrape every app and every sidecar of every pod, each target up and named by its app", async function () {
    const prometheusUrl = system().prometheusUrl;
    if (!prometheusUrl) this.skip();
    const pods = platformPods();
    const expected = pods.map((pod) => `${pod.metadata.annotations!["dapr.io/app-id"]} ${pod.status.podIP}`).sort();
    const targets = () => scrapeTargets(prometheusUrl!);
    // Each pod is found within a DNS refresh (15 s) and scraped within a scrape interval (15 s).
    let found = await targets();
    const up = (job: string) => found.filter((t) => t.labels.job === job && t.health === "up").map((t) => `${t.labels.app_id} ${t.labels.instance!.split(":")[0]}`).sort();
    const deadline = Date.now() + 60_000;
    while ((up("apps").length < pods.length || up("daprd").length < pods.length) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      found = await targets();
    }
    const down = found.filter((t) => t.health !== "up").map((t) => `${t.labels.job} ${t.labels.instance}: ${t.health} ${t.lastError}`);
    expect(up("apps"), `apps targets up (not up: ${down.join("; ") || "none"})`).to.deep.equal(expected);
    expect(up("daprd"), `daprd targets up (not up: ${down.join("; ") || "none"})`).to.deep.equal(expected);
  });

  describe("accessControl between the pods' sidecars", () => {
    for (const accessCase of accessControlCases()) {
      it(accessCaseTitle(accessCase), () => expectAccessControl(system(), accessCase));
    }
  });

  describe(choice.startsWith("prod") ? "NetworkPolicies: only Dapr's sidecar port between pods" : "no NetworkPolicies (dev): pods reach each other's ports", () => {
    const enforced = choice.startsWith("prod");
    function pair(): { from: Pod; to: Pod; appPort: number } {
      const pods = platformPods();
      const from = pods.find((p) => p.metadata.annotations!["dapr.io/app-id"] === "tracking")!;
      const to = pods.find((p) => p.metadata.annotations!["dapr.io/app-id"] === "payment")!;
      return { from, to, appPort: Number(to.metadata.annotations!["dapr.io/app-port"]) };
    }

    it(enforced ? "keeps tracking's pod from connecting to payment's app port" : "lets tracking's pod connect to payment's app port", () => {
      const { from, to, appPort } = pair();
      const outcome = connectFrom(from, to.status.podIP, appPort);
      // A policy's refusal is a reset or silence, by the implementation's choice.
      if (enforced) expect(outcome).to.be.oneOf(["refused", "timed out"]);
      else expect(outcome).to.equal("connected");
    });

    it("lets tracking's pod reach payment's sidecar on Dapr's internal port (50002)", () => {
      const { from, to } = pair();
      expect(connectFrom(from, to.status.podIP, 50002)).to.equal("connected");
    });
  });
});
