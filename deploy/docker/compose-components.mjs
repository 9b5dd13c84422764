#!/usr/bin/env node
// Writes deploy/docker/components/, the copies of components/ that the
// sidecars of docker-compose.yml load, with the addresses a container sees:
// Redis is the `redis` service and the read side's MongoDB (the secret
// MONGODB_URL) the `ferretdb` service (other brokers and stores: the service
// named after the server, for a compose file that adds it), the mail relay the
// `mailbox` service (a development mail catcher with a self-signed
// certificate, which the binding is told not to verify), the
// secrets file and the name-resolution database sit on mounted volumes, and
// the sidecars send their spans to the `jaeger` service.
// Beside them, deploy/docker/prometheus.yml: npm start's Prometheus
// configuration for the apps of dapr.yaml (run-template.mjs), each app and
// its sidecar at the app's service name.
// components/ and dapr.yaml stay the source; a unit test fails when the
// copies drift.
//
//   node deploy/docker/compose-components.mjs          (rewrite the copies)
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { prometheusConfig } from "../scripts/run-template.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const source = join(root, "components");
export const target = join(root, "deploy", "docker", "components");

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/** Where each server is on the compose network (by its usual port on localhost); 27017 is the read side's MongoDB. */
const HOSTS = { 6379: "redis", 5672: "rabbitmq", 9092: "kafka", 4222: "nats", 1883: "mosquitto", 5432: "postgres", 27017: "ferretdb" };

function rewrite(path, text) {
  let out = text;
  for (const [port, host] of Object.entries(HOSTS)) out = out.replaceAll(`localhost:${port}`, `${host}:${port}`);
  if (/type: bindings\.smtp/.test(out)) {
    out = out.replace(/(- name: host\n\s+value: )"127\.0\.0\.1"/, '$1"mailbox"');
    out = out.replace(/(- name: skipTLSVerify\n\s+value: )"false"/, '$1"true"');
  }
  out = out.replace("value: ../../components/secrets.dev.json", "value: /components/secrets.dev.json");
  out = out.replace('connectionString: "../../.dapr/nameresolution.db"', 'connectionString: "/shared/nameresolution.db"');
  // Every sidecar's spans to the `jaeger` service (the apps' go there too:
  // OTEL_EXPORTER_OTLP_ENDPOINT in docker-compose.yml).
  out = out.replace(/^( {2}tracing:\n)/m, "$1    otel:\n      endpointAddress: jaeger:4318\n      isSecure: false\n      protocol: http\n");
  if (!path.endsWith(".yaml")) return out;
  return `# Generated from components/${relative(source, path)} by deploy/docker/compose-components.mjs: edit that file instead.\n${out}`;
}

/** The compose copies, by path relative to deploy/docker/components. */
export function composeComponents() {
  return new Map(files(source).map((path) => [relative(source, path), rewrite(path, readFileSync(path, "utf8"))]));
}

/** A sidecar's metrics port in docker-compose.yml: daprd's default. */
const DAPRD_METRICS_PORT = 9090;
export const prometheusFile = join(root, "deploy", "docker", "prometheus.yml");

/**
 * Prometheus's configuration in docker-compose.yml: the apps of dapr.yaml on
 * the ports they have there too, each at its service's name; a sidecar
 * shares its app's network namespace, so it is reached at the same name; the
 * rules where the prometheus service mounts them.
 */
export function composePrometheus() {
  const { apps } = parse(readFileSync(join(root, "dapr.yaml"), "utf8"));
  const config = prometheusConfig(apps, {
    rules: "/etc/prometheus/rules",
    appTarget: (app) => `${app.appID}:${app.appPort}`,
    daprdTarget: (app) => `${app.appID}:${DAPRD_METRICS_PORT}`,
  });
  return `# Generated from dapr.yaml by deploy/docker/compose-components.mjs: Prometheus in docker-compose.yml,
# the same two jobs as npm start's (deploy/scripts/run-template.mjs), each app
# and each sidecar at its app's service name: the app on its port, daprd on
# ${DAPRD_METRICS_PORT} (a sidecar shares its app's network namespace).
${stringify(config)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(prometheusFile, composePrometheus());
  rmSync(target, { recursive: true, force: true });
  for (const [path, text] of composeComponents()) {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    writeFileSync(join(target, path), text);
  }
  console.log(`wrote ${target}`);
}
