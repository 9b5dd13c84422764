// What the Kubernetes manifests under deploy/k8s promise, read from the
// files themselves (no cluster, no kustomize binary): every service of
// docs/architecture.md deployed with its Dapr annotations, probes, security
// context and environment; only the gateway reachable from outside; Dapr's
// accessControl allowing exactly the calls the system makes; kustomizations
// that name files which exist; every overlay and choice of broker or store
// complete, its Secrets provided (dev), documented (prod) and readable by
// the sidecars that need them; production's autoscalers, disruption budgets
// and network policies.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect } from "chai";
import { parseAllDocuments } from "yaml";

const root = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../../../..");
const k8s = join(root, "deploy/k8s");

type Yaml = Record<string, unknown>;
interface Manifest {
  path: string; // relative to deploy/k8s
  doc: Yaml;
}

const obj = (value: unknown): Yaml => (value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Yaml) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
/** A nested value, by dotted path (keys may not contain dots; use at() for annotations). */
const get = (value: unknown, path: string): unknown => path.split(".").reduce<unknown>((v, key) => obj(v)[key], value);

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
}

function parse(path: string): Yaml[] {
  return parseAllDocuments(readFileSync(path, "utf8")).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${relative(root, path)}: ${doc.errors[0]!.message}`);
    return obj(doc.toJS());
  });
}

const manifests: Manifest[] = files(k8s)
  .filter((path) => path.endsWith(".yaml"))
  .flatMap((path) => parse(path).map((doc) => ({ path: relative(k8s, path), doc })));

const under = (prefix: string) => manifests.filter((m) => m.path.startsWith(prefix));
const ofKind = (kind: string, from = manifests) => from.filter((m) => m.doc.kind === kind);
const nameOf = (m: Manifest) => String(get(m.doc, "metadata.name"));

/** The services table of docs/architecture.md: app id and app port. */
function servicesTable(): { id: string; port: number }[] {
  const doc = readFileSync(join(root, "docs/architecture.md"), "utf8");
  const section = doc.slice(doc.indexOf("\n## Services\n"), doc.indexOf("\n## ", doc.indexOf("\n## Services\n") + 1));
  return [...section.matchAll(/^\| `([a-z]+)` \| (\d+) \|/gm)].map((m) => ({ id: m[1]!, port: Number(m[2]) }));
}
/** The services the manifests deploy: every one. */
const services = servicesTable();
/** The read side runs one replica, the only writer of its views; the others scale. */
const SINGLE_REPLICA = ["dashboard"];
const scaled = services.filter((s) => !SINGLE_REPLICA.includes(s.id));

/** The variables a service reads: services/kit/config.ts and services/<id>/config.ts. */
function variablesRead(id: string): Set<string> {
  const source = ["services/kit/config.ts", `services/${id}/config.ts`].map((p) => readFileSync(join(root, p), "utf8")).join("\n");
  return new Set([...source.matchAll(/read[A-Z]\w*\(env, "([A-Z0-9_]+)"/g)].map((m) => m[1]!));
}

/** A kustomize env file: KEY=value lines, # comments. */
function envFile(path: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    const at = trimmed.indexOf("=");
    expect(at, `${path}: ${line}`).to.be.greaterThan(0);
    out.set(trimmed.slice(0, at), trimmed.slice(at + 1));
  }
  return out;
}

const kustomizations = manifests.filter((m) => m.path.endsWith("kustomization.yaml"));
const kustomization = (dir: string) => {
  const found = kustomizations.find((m) => m.path === `${dir}/kustomization.yaml`);
  if (!found) throw new Error(`no ${dir}/kustomization.yaml`);
  return found.doc;
};

/** The ConfigMap env file of a base configMapGenerator entry. */
function baseConfig(name: string): Map<string, string> {
  const generator = list(kustomization("base").configMapGenerator).map(obj).find((g) => g.name === name);
  expect(generator, `configMapGenerator ${name} in base`).to.not.equal(undefined);
  const envs = list(generator!.envs).map(String);
  expect(envs).to.have.length(1);
  return envFile(join(k8s, "base", envs[0]!));
}

const deployment = (id: string) => {
  const found = ofKind("Deployment", under("base/")).find((m) => nameOf(m) === id);
  if (!found) throw new Error(`no Deployment ${id} in the base`);
  return found.doc;
};
const podAnnotations = (id: string) => obj(get(deployment(id), "spec.template.metadata.annotations"));
const appContainer = (id: string) => obj(list(get(deployment(id), "spec.template.spec.containers"))[0]);

/** The kustomize components (pubsub, state) an overlay names, as paths relative to deploy/k8s. */
function overlayComponents(overlay: string): string[] {
  return list(kustomization(`overlays/${overlay}`).components).map((c) => relative(k8s, resolve(k8s, "overlays", overlay, String(c))));
}
const overlays = readdirSync(join(k8s, "overlays"));
const choices = (kind: string) => readdirSync(join(k8s, "components", kind));

/** The Dapr Components loaded from a folder of deploy/k8s. */
const componentsIn = (dir: string) => ofKind("Component", under(`${dir}/`)).filter((m) => String(m.doc.apiVersion).startsWith("dapr.io/"));

/** The Secrets a Component reads through the secret store. */
const secretRefs = (m: Manifest) =>
  list(get(m.doc, "spec.metadata"))
    .map((item) => obj(obj(item).secretKeyRef))
    .filter((ref) => ref.name !== undefined)
    .map((ref) => String(ref.name));

const scopedTo = (m: Manifest, id: string) => {
  const scopes = list(m.doc.scopes);
  return scopes.length === 0 || scopes.includes(id);
};

/** Every Secret the system reads when `choice` (pubsub and state folders) is loaded, and who reads it. */
function secretsNeeded(chosen: string[]): { name: string; readers: string[]; through: "store" | "kubelet" }[] {
  const components = [...componentsIn("base/dapr"), ...chosen.flatMap(componentsIn)];
  const out: { name: string; readers: string[]; through: "store" | "kubelet" }[] = [];
  for (const { id } of services) {
    for (const m of components.filter((c) => scopedTo(c, id))) {
      for (const name of secretRefs(m)) out.push({ name, readers: [id], through: "store" });
    }
    for (const [key, value] of baseConfig(`${id}-config`)) {
      if (/_SECRET$/.test(key)) out.push({ name: value, readers: [id], through: "store" });
    }
    for (const annotation of ["dapr.io/api-token-secret", "dapr.io/app-token-secret"]) {
      out.push({ name: String(podAnnotations(id)[annotation]), readers: [id], through: "kubelet" });
    }
  }
  return out;
}

/** The Secrets an overlay generates, its sub-kustomizations included, as "<name>/<key>" for each key. */
function generatedSecrets(dir: string): string[] {
  const k = kustomization(dir);
  const own = list(k.secretGenerator)
    .map(obj)
    .flatMap((g) => list(g.literals).map((l) => `${String(g.name)}/${String(l).slice(0, String(l).indexOf("="))}`));
  const nested = list(k.resources)
    .map(String)
    .filter((r) => existsSync(join(k8s, dir, r, "kustomization.yaml")))
    .flatMap((r) => generatedSecrets(relative(k8s, join(k8s, dir, r))));
  return [...own, ...nested];
}

describe("Kubernetes manifests", () => {
  it("parse, and docs/architecture.md lists the seven services they deploy", () => {
    expect(manifests.length).to.be.greaterThan(40);
    expect(services.map((s) => s.id).sort()).to.deep.equal(["dashboard", "gateway", "inventory", "notification", "order", "payment", "tracking"]);
  });

  describe("every service of docs/architecture.md", () => {
    for (const { id, port } of services) {
      describe(id, () => {
        it("has a Deployment whose Dapr annotations name its app id, app port, configuration and health checks", () => {
          const a = podAnnotations(id);
          expect(a["dapr.io/enabled"]).to.equal("true");
          expect(a["dapr.io/app-id"]).to.equal(id);
          expect(a["dapr.io/app-port"]).to.equal(String(port));
          expect(a["dapr.io/enable-app-health-check"]).to.equal("true");
          expect(a["dapr.io/app-health-check-path"]).to.equal("/healthz");
          expect(a["dapr.io/log-as-json"]).to.equal("true");
          expect(a["dapr.io/enable-metrics"]).to.equal("true");
          expect(a["dapr.io/metrics-port"]).to.match(/^\d+$/);
          for (const key of ["cpu-request", "cpu-limit", "memory-request", "memory-limit"]) {
            expect(a[`dapr.io/sidecar-${key}`], key).to.be.a("string").and.not.equal("");
          }
          const configurations = ofKind("Configuration", under("base/dapr/")).map(nameOf);
          expect(configurations).to.include(a["dapr.io/config"]);
        });

        it("locks its sidecar with the API tokens, which the app container reads from the same Secrets", () => {
          const a = podAnnotations(id);
          const env = list(appContainer(id).env).map(obj);
          const fromSecret = (name: string) => obj(get(env.find((e) => e.name === name), "valueFrom.secretKeyRef"));
          expect(a["dapr.io/api-token-secret"]).to.be.a("string");
          expect(a["dapr.io/app-token-secret"]).to.be.a("string");
          expect(fromSecret("DAPR_API_TOKEN")).to.deep.equal({ name: a["dapr.io/api-token-secret"], key: "token" });
          // Every app but the gateway accepts calls only from its sidecar.
          if (id === "gateway") expect(env.map((e) => e.name)).not.to.include("APP_API_TOKEN");
          else expect(fromSecret("APP_API_TOKEN")).to.deep.equal({ name: a["dapr.io/app-token-secret"], key: "token" });
        });

        it("runs logistics/<service>:dev on its app port with startup and liveness probes on /healthz, readiness on /readyz, resources and a service account", () => {
          const c = appContainer(id);
          expect(c.image).to.equal(`logistics/${id}:dev`);
          expect(c.imagePullPolicy).to.equal("IfNotPresent");
          const ports = list(c.ports).map(obj);
          expect(ports.map((p) => p.containerPort)).to.deep.equal([port]);
          const portOf = (probe: string) => {
            const p = get(c, `${probe}.httpGet.port`);
            return typeof p === "number" ? p : ports.find((q) => q.name === p)?.containerPort;
          };
          expect(get(c, "startupProbe.httpGet.path")).to.equal("/healthz");
          expect(get(c, "livenessProbe.httpGet.path")).to.equal("/healthz");
          expect(get(c, "readinessProbe.httpGet.path")).to.equal("/readyz");
          expect(portOf("startupProbe")).to.equal(port);
          expect(portOf("livenessProbe")).to.equal(port);
          expect(portOf("readinessProbe")).to.equal(port);
          // A slow start (Deno's, with every pod of a node starting) is not a dead app: liveness waits for it.
          const startup = obj(get(c, "startupProbe"));
          expect(Number(startup.periodSeconds ?? 10) * Number(startup.failureThreshold ?? 3), "startup budget (s)").to.be.at.least(120);
          expect(get(c, "livenessProbe.initialDelaySeconds"), "liveness delay: the startup probe holds it").to.equal(undefined);
          for (const r of ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"]) {
            expect(get(c.resources, r), r).to.not.equal(undefined);
          }
          const account = get(deployment(id), "spec.template.spec.serviceAccountName");
          expect(ofKind("ServiceAccount", under("base/")).map(nameOf)).to.include(account);
        });

        it("runs as a numeric non-root user, read-only, without privileges, capabilities or an unconfined seccomp", () => {
          const pod = obj(get(deployment(id), "spec.template.spec.securityContext"));
          const c = obj(appContainer(id).securityContext);
          const effective = (key: string) => c[key] ?? pod[key];
          expect(effective("runAsNonRoot")).to.equal(true);
          expect(effective("runAsUser")).to.be.a("number").and.greaterThan(0);
          expect(c.readOnlyRootFilesystem).to.equal(true);
          expect(c.allowPrivilegeEscalation).to.equal(false);
          expect(get(c, "capabilities.drop")).to.deep.equal(["ALL"]);
          expect(get(c.seccompProfile ?? pod.seccompProfile, "type")).to.equal("RuntimeDefault");
        });

        it("takes its environment from a ConfigMap that sets exactly the variables it reads", () => {
          const c = appContainer(id);
          const refs = list(c.envFrom).map((e) => get(e, "configMapRef.name"));
          expect(refs).to.deep.equal([`${id}-config`]);
          const config = baseConfig(`${id}-config`);
          const fromSecrets = list(c.env).map((e) => String(obj(e).name));
          const read = variablesRead(id);
          // The tokens come from Secrets; the gateway needs no app token.
          const expected = [...read].filter((v) => !(id === "gateway" && v === "APP_API_TOKEN")).sort();
          expect([...new Set([...config.keys(), ...fromSecrets])].sort()).to.deep.equal(expected);
          expect(config.get("APP_ID")).to.equal(id);
          expect(config.get("APP_PORT")).to.equal(String(port));
          expect(config.get("APP_HOST")).to.equal("0.0.0.0");
          expect(config.get("STATESTORE_NAME")).to.equal(`${id}store`);
          for (const [key, value] of config) {
            if (/_SECRET$/.test(key)) expect(value, key).to.match(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
          }
        });
      });
    }
  });

  it("only the gateway has a Service and an Ingress among the apps (each has a headless one, for Prometheus)", () => {
    const apps = new Set(services.map((s) => s.id));
    const selects = (m: Manifest) => String(obj(get(m.doc, "spec.selector"))["app.kubernetes.io/name"]);
    const headless = (m: Manifest) => get(m.doc, "spec.clusterIP") === "None";
    expect(ofKind("Service").filter((m) => !headless(m)).map(selects).filter((name) => apps.has(name))).to.deep.equal(["gateway"]);
    // An address per pod, to scrape: <app>-metrics, in components/observability only.
    const metrics = ofKind("Service").filter(headless);
    expect(metrics.map(selects).sort()).to.deep.equal([...apps].sort());
    for (const m of metrics) {
      expect(nameOf(m)).to.equal(`${selects(m)}-metrics`);
      expect(m.path, nameOf(m)).to.match(/components\/observability\//);
    }
    const gatewayService = ofKind("Service").find((m) => selects(m) === "gateway")!;
    const ingresses = ofKind("Ingress");
    expect(ingresses).to.have.length(1);
    const backends = JSON.stringify(get(ingresses[0]!.doc, "spec.rules")).match(/"service":\{"name":"([^"]+)"/g) ?? [];
    expect(backends.length).to.be.greaterThan(0);
    for (const b of backends) expect(b).to.contain(`"name":"${nameOf(gatewayService)}"`);
    const target = list(get(gatewayService.doc, "spec.ports")).map((p) => obj(p).targetPort);
    expect(target).to.deep.equal(["http"]);
  });

  describe("Dapr resources of the base", () => {
    it("a Kubernetes secret store named secretstore, and no local file or environment store", () => {
      const stores = ofKind("Component").filter((m) => String(get(m.doc, "spec.type")).startsWith("secretstores."));
      expect(stores.map((m) => [nameOf(m), get(m.doc, "spec.type")])).to.deep.equal([["secretstore", "secretstores.kubernetes"]]);
    });

    it("the resiliency, cron bindings and email binding of components/common", () => {
      const names = manifests.filter((m) => m.path.startsWith("base/dapr/")).map(nameOf);
      expect(names).to.include.members(["logistics-resiliency", "reservation-expiry", "order-reconciliation", "email"]);
    });

    it("one Configuration for every sidecar, whose accessControl denies by default and names only the callers the system has, in its namespace", () => {
      // The gateway forwards to every service; the dashboard reads their APIs to rebuild; order asks tracking to call off a shipment.
      const configurations = ofKind("Configuration", under("base/dapr/"));
      expect(configurations.map(nameOf)).to.deep.equal(["logistics"]);
      for (const { id } of services) expect(podAnnotations(id)["dapr.io/config"], id).to.equal("logistics");
      const access = obj(get(configurations[0]!.doc, "spec.accessControl"));
      expect(access.defaultAction).to.equal("deny");
      expect(access.trustDomain).to.equal("public");
      const policies = list(access.policies).map(obj);
      expect(policies.map((p) => p.appId)).to.deep.equal(["gateway", "dashboard", "order"]);
      for (const p of policies) {
        expect(p.defaultAction, String(p.appId)).to.equal("deny");
        expect(p.namespace, String(p.appId)).to.equal("logistics");
        expect(p.trustDomain, String(p.appId)).to.equal("public");
        expect(list(p.operations).map((o) => obj(o).action), String(p.appId)).to.satisfy((actions: unknown[]) => actions.length > 0 && actions.every((a) => a === "allow"));
      }
      // The control plane's Configuration holds mTLS in the cluster.
      expect(get(configurations[0]!.doc, "spec.mtls")).to.equal(undefined);
    });

    it("no SQLite name resolution: the cluster resolves app ids itself", () => {
      for (const m of ofKind("Configuration")) expect(get(m.doc, "spec.nameResolution"), m.path).to.equal(undefined);
    });
  });

  describe("kustomizations", () => {
    for (const k of kustomizations) {
      const dir = dirname(k.path);
      it(`${k.path} names files and folders that exist, and leaves none of its YAML out`, () => {
        const at = (p: string) => join(k8s, dir, p);
        for (const r of list(k.doc.resources).map(String)) {
          expect(existsSync(at(r)), r).to.equal(true);
          if (statSync(at(r)).isDirectory()) expect(existsSync(join(at(r), "kustomization.yaml")), r).to.equal(true);
        }
        for (const c of list(k.doc.components).map(String)) {
          const target = kustomizations.find((m) => m.path === relative(k8s, join(at(c), "kustomization.yaml")));
          expect(target?.doc.kind, c).to.equal("Component");
        }
        const patches = list(k.doc.patches).map(obj).filter((p) => p.path !== undefined).map((p) => String(p.path));
        for (const p of patches) expect(existsSync(at(p)), p).to.equal(true);
        for (const g of [...list(k.doc.configMapGenerator), ...list(k.doc.secretGenerator)].map(obj)) {
          for (const f of [...list(g.envs), ...list(g.files)].map(String)) {
            expect(existsSync(at(f.replace(/^[^=]*=/, ""))), f).to.equal(true);
          }
        }
        // Every YAML of this folder (not of a nested kustomization) is a resource or a patch.
        const nested = kustomizations.map((m) => dirname(m.path)).filter((d) => d !== dir && d.startsWith(`${dir}/`));
        const own = files(join(k8s, dir))
          .map((f) => relative(k8s, f))
          .filter((f) => f.endsWith(".yaml") && !f.endsWith("kustomization.yaml"))
          .filter((f) => !nested.some((d) => f.startsWith(`${d}/`)));
        const listed = [...list(k.doc.resources), ...patches].map((r) => relative(k8s, join(k8s, dir, String(r))));
        expect(own.filter((f) => !listed.includes(f)), "left out").to.deep.equal([]);
      });
    }
  });

  describe("overlays and choices", () => {
    it("there are the dev and prod overlays, and a component per choice of components/", () => {
      expect(overlays.sort()).to.deep.equal(["dev", "prod"]);
      for (const kind of ["pubsub", "state"]) {
        expect(choices(kind).sort(), kind).to.deep.equal(readdirSync(join(root, "components", kind)).sort());
      }
    });

    for (const overlay of ["dev", "prod"]) {
      it(`${overlay} chooses one broker and one store, sets the namespace, and builds on the base`, () => {
        const k = kustomization(`overlays/${overlay}`);
        expect(k.namespace).to.equal("logistics");
        expect(list(k.resources)).to.include("../../base");
        const chosen = overlayComponents(overlay);
        expect(chosen.filter((c) => c.startsWith("components/pubsub/")), "pubsub").to.have.length(1);
        expect(chosen.filter((c) => c.startsWith("components/state/")), "state").to.have.length(1);
      });

      for (const pubsub of choices("pubsub")) {
        for (const state of choices("state")) {
          it(`${overlay} × pubsub/${pubsub} × state/${state}: the components exist and define every name the services use`, () => {
            // The overlay with its choice swapped, as the README's one-line edit makes it.
            const chosen = overlayComponents(overlay).map((c) =>
              c.replace(/^components\/pubsub\/[^/]+$/, `components/pubsub/${pubsub}`).replace(/^components\/state\/[^/]+$/, `components/state/${state}`),
            );
            for (const c of chosen) expect(kustomization(c).kind, c).to.equal("Component");
            const names = [...componentsIn("base"), ...chosen.flatMap(componentsIn)].map(nameOf).sort();
            const expected = ["email", "order-reconciliation", "pubsub", "reservation-expiry", "secretstore", ...services.map((s) => `${s.id}store`)];
            expect(names).to.deep.equal(expected.sort());
            // Every Secret read through the store is granted to the reader's service account.
            for (const { name, readers, through } of secretsNeeded(chosen)) {
              if (through !== "store") continue;
              for (const reader of readers) expect(granted(reader), `${reader} reads ${name}`).to.include(name);
            }
          });
        }
      }
    }

    it("dev provides, with development values, every Secret its choice and the services read", () => {
      const provided = generatedSecrets("overlays/dev");
      // A Secret read through the store holds the key of its own name; the tokens, the key "token".
      const needed = [
        ...new Set(secretsNeeded(overlayComponents("dev")).map((s) => `${s.name}/${s.through === "store" ? s.name : "token"}`)),
      ];
      expect(needed.length).to.be.greaterThan(8);
      expect(needed.filter((n) => !provided.includes(n)), "missing").to.deep.equal([]);
    });

    it("dev runs the Redis its choice points at, with one replica of each service", () => {
      expect(overlayComponents("dev")).to.deep.equal(["components/pubsub/redis", "components/state/redis", "components/observability"]);
      const redis = ofKind("Service", under("overlays/dev/")).find((m) => nameOf(m) === "redis");
      expect(redis).to.not.equal(undefined);
      const literal = list(obj(list(kustomization("overlays/dev").secretGenerator).map(obj).find((g) => g.name === "redis-host")).literals);
      expect(literal).to.deep.equal([`redis-host=${nameOf(redis!)}:6379`]);
      expect(kustomization("overlays/dev").replicas).to.equal(undefined);
      for (const { id } of services) expect(get(deployment(id), "spec.replicas"), id).to.equal(1);
    });

    it("prod documents, in the README, every Secret any choice makes it read", () => {
      const readme = readFileSync(join(root, "README.md"), "utf8");
      const start = readme.indexOf("\n## Deploying to Kubernetes");
      expect(start, "README section").to.be.greaterThan(0);
      const section = readme.slice(start, readme.indexOf("\n## ", start + 1));
      const every = choices("pubsub").flatMap((p) => choices("state").map((s) => [`components/pubsub/${p}`, `components/state/${s}`]));
      const needed = new Set(every.flatMap((chosen) => secretsNeeded(chosen).map((s) => s.name)));
      expect([...needed].filter((name) => !section.includes(`\`${name}\``)), "undocumented").to.deep.equal([]);
      // prod brings no Secret of its own: the operator creates them.
      expect(generatedSecrets("overlays/prod")).to.deep.equal([]);
    });
  });

  describe("prod", () => {
    const prod = under("overlays/prod/");

    it("runs two replicas or more of every service but the read side, with a HorizontalPodAutoscaler each", () => {
      const replicas = new Map(list(kustomization("overlays/prod").replicas).map((r) => [String(obj(r).name), Number(obj(r).count)]));
      for (const { id } of scaled) {
        expect(replicas.get(id), id).to.be.at.least(2);
        const hpa = ofKind("HorizontalPodAutoscaler", prod).filter((m) => get(m.doc, "spec.scaleTargetRef.name") === id);
        expect(hpa, id).to.have.length(1);
        expect(get(hpa[0]!.doc, "spec.scaleTargetRef.kind")).to.equal("Deployment");
        expect(get(hpa[0]!.doc, "spec.minReplicas"), id).to.be.at.least(2);
        expect(get(hpa[0]!.doc, "spec.maxReplicas"), id).to.be.greaterThan(Number(get(hpa[0]!.doc, "spec.minReplicas")));
      }
    });

    it("runs the read side as one replica that is stopped before another starts, never scaled", () => {
      const replicas = list(kustomization("overlays/prod").replicas).map((r) => String(obj(r).name));
      for (const id of SINGLE_REPLICA) {
        expect(replicas, id).to.not.include(id);
        expect(get(deployment(id), "spec.replicas"), id).to.equal(1);
        expect(get(deployment(id), "spec.strategy.type"), id).to.equal("Recreate");
        expect(ofKind("HorizontalPodAutoscaler", prod).filter((m) => get(m.doc, "spec.scaleTargetRef.name") === id), id).to.deep.equal([]);
      }
    });

    it("has a PodDisruptionBudget per scaled service that selects that service's pods", () => {
      for (const { id } of scaled) {
        const labels = obj(get(deployment(id), "spec.template.metadata.labels"));
        const pdbs = ofKind("PodDisruptionBudget", prod).filter((m) => {
          const selector = obj(get(m.doc, "spec.selector.matchLabels"));
          return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
        });
        expect(pdbs, id).to.have.length(1);
        expect(get(pdbs[0]!.doc, "spec.minAvailable") ?? get(pdbs[0]!.doc, "spec.maxUnavailable"), id).to.not.equal(undefined);
        // The selector picks no other service's pods.
        for (const other of services.filter((s) => s.id !== id)) {
          const otherLabels = obj(get(deployment(other.id), "spec.template.metadata.labels"));
          const selector = obj(get(pdbs[0]!.doc, "spec.selector.matchLabels"));
          expect(Object.entries(selector).every(([k, v]) => otherLabels[k] === v), `${id} vs ${other.id}`).to.equal(false);
        }
      }
    });

    it("spreads every Deployment over nodes and zones", () => {
      const patch = list(kustomization("overlays/prod").patches)
        .map(obj)
        .find((p) => get(p, "target.kind") === "Deployment");
      expect(patch).to.not.equal(undefined);
      const selector = String(get(patch, "target.labelSelector") ?? "");
      for (const { id } of services) {
        const labels = obj(get(deployment(id), "metadata.labels"));
        const [key, value] = selector.split("=");
        expect(labels[key!], id).to.equal(value);
      }
      const [doc] = parse(join(k8s, "overlays/prod", String(patch!.path)));
      const keys = list(get(doc, "spec.template.spec.topologySpreadConstraints")).map((c) => obj(c).topologyKey);
      expect(keys).to.include.members(["kubernetes.io/hostname", "topology.kubernetes.io/zone"]);
    });

    it("denies all traffic in the namespace by default", () => {
      const deny = ofKind("NetworkPolicy", prod).filter(
        (m) =>
          Object.keys(obj(get(m.doc, "spec.podSelector"))).length === 0 &&
          list(get(m.doc, "spec.ingress")).length === 0 &&
          list(get(m.doc, "spec.egress")).length === 0,
      );
      expect(deny).to.have.length(1);
      expect(list(get(deny[0]!.doc, "spec.policyTypes")).sort()).to.deep.equal(["Egress", "Ingress"]);
    });

    it("lets in only the ingress controller to the gateway's app port, and sidecars to sidecars", () => {
      const gatewayPort = services.find((s) => s.id === "gateway")!.port;
      const rules = ofKind("NetworkPolicy", prod).flatMap((m) =>
        list(get(m.doc, "spec.ingress")).map((rule) => ({ policy: m.doc, rule: obj(rule) })),
      );
      expect(rules.length).to.be.greaterThan(1);
      for (const { policy, rule } of rules) {
        const ports = list(rule.ports).map((p) => obj(p).port);
        expect(ports.length, `${String(get(policy, "metadata.name"))}: a rule without ports lets everything in`).to.be.greaterThan(0);
        const podSelector = obj(get(policy, "spec.podSelector.matchLabels"));
        const fromLabels = list(rule.from).map((f) => obj(get(f, "podSelector.matchLabels")));
        // components/observability's: Prometheus scraping, spans to Jaeger (checked below).
        if (fromLabels.some((l) => l["app.kubernetes.io/name"] === "prometheus") || podSelector["app.kubernetes.io/name"] === "jaeger") continue;
        if (ports.includes(gatewayPort)) {
          expect(ports).to.deep.equal([gatewayPort]);
          expect(podSelector).to.deep.equal({ "app.kubernetes.io/name": "gateway" });
        } else {
          expect(ports, String(get(policy, "metadata.name"))).to.deep.equal([50002]);
          const from = list(rule.from).map(obj);
          expect(from.every((f) => f.namespaceSelector === undefined && f.ipBlock === undefined)).to.equal(true);
        }
      }
    });

    it("for components/observability, lets Prometheus in to the metrics ports only, and spans to Jaeger's OTLP ports only", () => {
      expect(overlayComponents("prod")).to.include("components/observability");
      const selects = (m: Manifest, name: string) =>
        JSON.stringify(get(m.doc, "spec")).includes(`"app.kubernetes.io/name":"${name}"`);
      const observability = ofKind("NetworkPolicy", prod).filter((m) => selects(m, "prometheus") || selects(m, "jaeger"));
      const metricsPorts = [...services.map((s) => s.port), 9090].sort();
      const ingress = observability.flatMap((m) => list(get(m.doc, "spec.ingress")).map((rule) => ({ to: obj(get(m.doc, "spec.podSelector.matchLabels")), rule: obj(rule) })));
      expect(ingress).to.have.length(2);
      for (const { to, rule } of ingress) {
        const ports = list(rule.ports).map((p) => obj(p).port).sort();
        const from = list(rule.from).map((f) => obj(get(f, "podSelector.matchLabels")));
        if (to["app.kubernetes.io/name"] === "jaeger") {
          expect(ports).to.deep.equal([4317, 4318]);
          expect(from).to.deep.equal([{ "app.kubernetes.io/part-of": "logistics" }]);
        } else {
          expect(to).to.deep.equal({ "app.kubernetes.io/part-of": "logistics" });
          expect(ports).to.deep.equal(metricsPorts);
          expect(from).to.deep.equal([{ "app.kubernetes.io/name": "prometheus" }]);
        }
      }
      const egress = observability.flatMap((m) => list(get(m.doc, "spec.egress")).map(obj));
      for (const rule of egress) {
        expect(list(rule.to), "an egress rule without a destination lets out everywhere").to.have.length.greaterThan(0);
      }
    });

    it("lets out DNS, Dapr's control plane in dapr-system, and sidecar-to-sidecar calls", () => {
      const egress = ofKind("NetworkPolicy", prod).flatMap((m) => list(get(m.doc, "spec.egress")).map(obj));
      const toNamespace = (ns: string) =>
        egress.filter((e) => list(e.to).some((t) => obj(get(t, "namespaceSelector.matchLabels"))["kubernetes.io/metadata.name"] === ns));
      expect(toNamespace("kube-system").flatMap((e) => list(e.ports).map((p) => obj(p).port))).to.include(53);
      expect(toNamespace("dapr-system").flatMap((e) => list(e.ports).map((p) => obj(p).port))).to.include.members([50001, 6500, 50005]);
      expect(egress.flatMap((e) => list(e.ports).map((p) => obj(p).port))).to.include(50002);
    });
  });
});

/** The Secrets a service's account may get, through the Roles bound to it. */
function granted(id: string): string[] {
  const account = get(deployment(id), "spec.template.spec.serviceAccountName");
  const roles = ofKind("RoleBinding")
    .filter((m) => list(m.doc.subjects).some((s) => obj(s).kind === "ServiceAccount" && obj(s).name === account))
    .map((m) => String(get(m.doc, "roleRef.name")));
  return ofKind("Role")
    .filter((m) => roles.includes(nameOf(m)))
    .flatMap((m) => list(m.doc.rules).map(obj))
    .filter((r) => list(r.resources).includes("secrets") && list(r.verbs).includes("get"))
    .flatMap((r) => list(r.resourceNames).map(String));
}
