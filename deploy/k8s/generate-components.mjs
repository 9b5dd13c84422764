#!/usr/bin/env node
// Writes the Dapr resources of the Kubernetes manifests from components/, the
// one source of truth for every component name, type, setting and scope:
//
//   components/common/*.yaml        -> deploy/k8s/base/dapr/            (bindings, resiliency)
//   components/config.yaml          -> deploy/k8s/base/dapr/configuration.yaml
//   components/pubsub/<choice>/     -> deploy/k8s/components/pubsub/<choice>/   (kustomize components)
//   components/state/<choice>/      -> deploy/k8s/components/state/<choice>/
//   components/simulator/           -> deploy/k8s/components/simulator/
//   components/secrets.dev.json     -> deploy/k8s/overlays/dev/secrets/kustomization.yaml
//   deploy/observability/prometheus/rules/ -> deploy/k8s/components/observability/rules/
//   components/secretstore/         -> not copied: base/secretstore.yaml is Dapr's
//                                      Kubernetes secret store, by the same name
//
// What changes on the way: every address and credential becomes a secretKeyRef
// read through the `secretstore` component (auth.secretStore), so that one
// component file serves the dev overlay (its secrets point at in-cluster
// servers) and prod (the operator's secrets point at the real broker and
// database); secret names become Kubernetes names (SMTP_USER -> smtp-user, a
// Secret of that name whose one key has the same name); the SQLite name
// resolution of local runs is dropped (Kubernetes has its own), so is the
// Configuration's mtls section (the control plane's), and its accessControl
// policies name the cluster's namespace; a component that talks to a server
// waits for it for INIT_TIMEOUT at start, not Dapr's 5 s. Names, types, other settings, comments
// and scopes stay as they are. A unit test (tests/unit/deploy/k8s-components.test.ts)
// fails when the files here drift from what this script makes.
//
//   node deploy/k8s/generate-components.mjs          (rewrite the generated files)
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Document, isMap, isSeq, Pair, parseDocument } from "yaml";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const source = join(root, "components");
export const target = join(root, "deploy", "k8s");
const rules = join(root, "deploy", "observability", "prometheus", "rules");
const SCRIPT = "deploy/k8s/generate-components.mjs";
export const NAMESPACE = "logistics";
/**
 * Secrets of components/secrets.dev.json that hold a server's address (the
 * read side's MongoDB): each overlay says where its server is, as it does for
 * the broker and the store (the dev overlay's point at its own servers), so
 * they are not among the generated development secrets.
 */
export const ADDRESS_SECRETS = ["MONGODB_URL"];
const SECRET_STORE = "secretstore";
/**
 * How long a sidecar waits for the server of a component (its address among
 * SECRET_FIELDS) before it gives up and exits. Dapr's default, 5 s, is
 * shorter than a cluster takes to bring a server up beside the apps (the dev
 * overlay's Redis: its pod ready, its Service's endpoint routed) or to
 * restart one: the sidecar then exits and its container restarts. Within
 * this time the sidecar is only not ready yet; the injector's liveness probe
 * starts after 180 s.
 */
export const INIT_TIMEOUT = "30s";

/**
 * Metadata fields that hold an address or a credential, by component type,
 * and the Kubernetes Secret (and key) each moves to. A field that still names
 * localhost afterwards stops the script: add it here.
 */
export const SECRET_FIELDS = {
  "pubsub.redis": { redisHost: "redis-host", redisPassword: "redis-password" },
  "state.redis": { redisHost: "redis-host", redisPassword: "redis-password" },
  "pubsub.rabbitmq": { connectionString: "rabbitmq-connection-string" },
  "pubsub.kafka": { brokers: "kafka-brokers" },
  "pubsub.jetstream": { natsURL: "nats-url" },
  "pubsub.mqtt3": { url: "mqtt-url" },
  "state.postgresql": { connectionString: "postgres-connection-string" },
  "bindings.smtp": { host: "smtp-host", port: "smtp-port" },
};

/** The Kubernetes name of a secret of components/ (SMTP_USER -> smtp-user). */
export function secretName(name) {
  return name.toLowerCase().replaceAll("_", "-");
}

function files(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
}

const header = (from, extra = "") =>
  `# Generated from components/${from} by ${SCRIPT}${extra}: edit that file instead.\n`;
const render = (doc) => doc.toString({ lineWidth: 0 });

/** Puts `pair` before the top-level key `before` (or last). */
function insertBefore(map, key, value, before) {
  const pair = new Pair(key, value);
  const at = map.items.findIndex((p) => p.key?.value === before);
  if (at < 0) map.items.push(pair);
  else map.items.splice(at, 0, pair);
}

/** A component of components/ as the cluster loads it. */
function component(doc, from) {
  const type = doc.getIn(["spec", "type"]);
  const fields = SECRET_FIELDS[type] ?? {};
  const metadata = doc.getIn(["spec", "metadata"]);
  let refs = false;
  for (const item of isSeq(metadata) ? metadata.items : []) {
    const name = item.get("name");
    const ref = item.get("secretKeyRef");
    if (fields[name] !== undefined) {
      item.delete("value");
      item.set("secretKeyRef", doc.createNode({ name: fields[name], key: fields[name] }));
      refs = true;
    } else if (isMap(ref)) {
      ref.set("name", secretName(String(ref.get("name"))));
      ref.set("key", secretName(String(ref.get("key"))));
      refs = true;
    }
    const value = String(item.get("value") ?? "");
    if (/localhost|127\.0\.0\.1|\.\.\//.test(value)) {
      throw new Error(`components/${from}: ${type} field ${name} still points at "${value}"; list it in SECRET_FIELDS`);
    }
  }
  if (refs && doc.getIn(["auth", "secretStore"]) === undefined) {
    insertBefore(doc.contents, "auth", doc.createNode({ secretStore: SECRET_STORE }), "scopes");
  }
  if (refs) doc.setIn(["auth", "secretStore"], SECRET_STORE);
  if (Object.keys(fields).length > 0 && doc.getIn(["spec", "initTimeout"]) === undefined) {
    insertBefore(doc.get("spec"), "initTimeout", INIT_TIMEOUT, "metadata");
  }
  return doc;
}

function componentFile(from, text) {
  const doc = component(parseDocument(text), from);
  const note = doc.getIn(["auth", "secretStore"]) === SECRET_STORE
    ? "# In the cluster its addresses and credentials are secretKeyRefs to Kubernetes Secrets (README: Deploying to Kubernetes).\n"
    : "";
  return header(from) + note + render(doc);
}

/**
 * components/config.yaml as the cluster's Configuration: its accessControl
 * (who may invoke whom) in the cluster's namespace, its secret scopes with
 * the secrets' Kubernetes names; without the SQLite name
 * resolution (Kubernetes resolves app ids itself) and without the mtls
 * section (the control plane's own Configuration, daprsystem, holds it there).
 */
function configuration(text) {
  const doc = parseDocument(text);
  doc.commentBefore = null;
  doc.contents.items[0].key.commentBefore = null;
  doc.contents.commentBefore = " The Dapr Configuration of every sidecar (dapr.io/config: logistics).";
  const spec = doc.get("spec");
  spec.delete("nameResolution");
  spec.delete("mtls");
  const policies = doc.getIn(["spec", "accessControl", "policies"]);
  for (const policy of isSeq(policies) ? policies.items : []) policy.set("namespace", NAMESPACE);
  // The secrets an app may ask for, by their Kubernetes names.
  const scopes = doc.getIn(["spec", "secrets", "scopes"]);
  for (const scope of isSeq(scopes) ? scopes.items : []) {
    const allowed = scope.get("allowedSecrets");
    for (const item of isSeq(allowed) ? allowed.items : []) item.value = secretName(String(item.value));
  }
  return render(doc);
}

function kustomization(kind, resources, comment) {
  const doc = new Document({
    apiVersion: kind === "Component" ? "kustomize.config.k8s.io/v1alpha1" : "kustomize.config.k8s.io/v1beta1",
    kind,
    resources,
  });
  doc.commentBefore = comment;
  return render(doc);
}

/** The development secrets of components/secrets.dev.json, as a kustomize secret generator. */
function devSecrets(text) {
  const secrets = JSON.parse(text);
  const doc = new Document({
    apiVersion: "kustomize.config.k8s.io/v1beta1",
    kind: "Kustomization",
    secretGenerator: Object.entries(secrets).filter(([name]) => !ADDRESS_SECRETS.includes(name)).map(([name, value]) => ({
      name: secretName(name),
      literals: [`${secretName(name)}=${value}`],
      options: { disableNameSuffixHash: true },
    })),
  });
  doc.commentBefore =
    " Development values only, one Secret per secret of the store, its one key\n" +
    " named as the Secret (what the services and components ask the secretstore for).";
  return render(doc);
}

/** Every generated file, by path relative to deploy/k8s. */
export function k8sComponents() {
  const out = new Map();
  const folders = new Map(); // deploy/k8s folder -> [file names]
  const add = (path, text) => {
    out.set(path, text);
    const dir = dirname(path);
    folders.set(dir, [...(folders.get(dir) ?? []), path.slice(dir.length + 1)]);
  };
  for (const path of files(source)) {
    const from = relative(source, path);
    const text = readFileSync(path, "utf8");
    const [top, choice] = from.split("/");
    if (from === "config.yaml") {
      add("base/dapr/configuration.yaml", header(from, " (in the cluster's namespace, without its SQLite name resolution and mtls section)") + configuration(text));
    } else if (from === "secrets.dev.json") {
      add("overlays/dev/secrets/kustomization.yaml", header(from) + devSecrets(text));
    } else if (top === "secretstore") {
      continue;
    } else if (top === "common" && from.endsWith(".yaml")) {
      add(`base/dapr/${from.slice("common/".length)}`, componentFile(from, text));
    } else if ((top === "pubsub" || top === "state") && choice && from.endsWith(".yaml")) {
      add(`components/${from}`, componentFile(from, text));
    } else if (top === "simulator" && from.endsWith(".yaml")) {
      add(`components/${from}`, componentFile(from, text));
    } else {
      throw new Error(`components/${from}: no place for it in deploy/k8s; teach ${SCRIPT}`);
    }
  }
  // Prometheus's alert and recording rules, for the cluster's Prometheus
  // (components/observability mounts them from its ConfigMap).
  for (const path of files(rules)) {
    const from = relative(root, path);
    out.set(`components/observability/rules/${relative(rules, path)}`, `# Generated from ${from} by ${SCRIPT}: edit that file instead.\n${readFileSync(path, "utf8")}`);
  }
  for (const [dir, names] of folders) {
    if (dir === "overlays/dev/secrets") continue;
    const from = dir === "base/dapr" ? "common/ and components/config.yaml" : `${dir.slice("components/".length)}/`;
    const comment =
      dir === "base/dapr"
        ? ` Generated by ${SCRIPT} from components/common/ and components/config.yaml: run it again instead of editing.`
        : ` Generated by ${SCRIPT} from components/${from}: run it again instead of editing.\n` +
          " A kustomize component: list it under `components:` in an overlay to choose it.";
    out.set(`${dir}/kustomization.yaml`, kustomization(dir === "base/dapr" ? "Kustomization" : "Component", names.sort(), comment));
  }
  return out;
}

/** Generated files present under deploy/k8s (they say so on their first line). */
export function generatedOnDisk() {
  return files(target)
    .filter((path) => /\.ya?ml$/.test(path))
    .filter((path) => readFileSync(path, "utf8").startsWith("# Generated ") && readFileSync(path, "utf8").includes(SCRIPT))
    .map((path) => relative(target, path));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const expected = k8sComponents();
  for (const stale of generatedOnDisk()) if (!expected.has(stale)) rmSync(join(target, stale));
  for (const [path, text] of expected) {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    writeFileSync(join(target, path), text);
  }
  console.log(`wrote ${expected.size} files under ${relative(root, target)}`);
}
