#!/usr/bin/env bash
# npm test: provisions what the tests need, then type-checks (Node build and
# Deno), lints, runs the unit tests (fake ports, no sockets), then the
# integration tests, the end-to-end suite and the live page in Chromium on one
# running system (real daprd sidecars, a real Redis, a real SMTP server,
# started and stopped by the tests themselves). RUNTIME=deno runs the services under test on Deno.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT_DIR"
reserve_test_ports
export PATH="$DAPR_HOME/bin:$ROOT_DIR/node_modules/.bin:$PATH"

step() { printf '\n== %s\n' "$*" >&2; }

# Built from their Go modules once, minutes each with empty caches, beside
# the steps before their use: Jaeger, the trace backend the integration tests
# read, and the manifest check's tools and schemas. Their output is in
# .dapr/jaeger-install.log and .dapr/k8s-tools.log.
mkdir -p .dapr
bash deploy/scripts/server.sh jaeger install >.dapr/jaeger-install.log 2>&1 &
jaeger_install=$!
bash deploy/scripts/test-k8s-manifests.sh tools >.dapr/k8s-tools.log 2>&1 &
manifest_tools=$!

step "provision (Node dependencies, Dapr ${DAPR_VERSION}, broker packages)"
JAEGER_LATER=1 bash deploy/scripts/provision.sh

step "typecheck and build for Node (tsc)"
rm -rf dist
tsc -p tsconfig.json

step "typecheck for Deno (deno check)"
deno check --quiet services/*/main.ts

step "lint (eslint)"
eslint --max-warnings 0 .

step "unit tests"
mocha --timeout 10000 'dist/tests/unit/**/*.test.js'

# The alert and recording rules: valid (promtool check), and each alert
# firing on the series it is about and quiet on its neighbours (promtool test);
# the Prometheus configuration the scripts write, valid with them.
step "Prometheus rules (promtool check, promtool test rules)"
node deploy/scripts/run-template.mjs --out .dapr/promtool >/dev/null
promtool check config .dapr/promtool/prometheus.yml deploy/docker/prometheus.yml deploy/k8s/components/observability/prometheus.yml
promtool test rules deploy/observability/prometheus/tests/*.test.yml

# The dashboard's read model through mongoose on a real MongoDB-compatible
# server (FerretDB, built once from its Go module and started by the test).
step "read side (mongoose on FerretDB)"
mocha --timeout 60000 'dist/tests/readside/**/*.test.js'

# kustomize build of every overlay × choice, validated against the Kubernetes
# and Dapr schemas (kubeconform, offline): seconds once its tools are built.
step "Kubernetes manifests (kustomize, kubeconform)"
wait "$manifest_tools" || { cat .dapr/k8s-tools.log >&2; exit 1; }
bash deploy/scripts/test-k8s-manifests.sh

# The apps built from the .ts sources, served by the kit's server on Deno and
# called over loopback sockets: Deno breakage shows here in seconds.
step "runtime smoke tests (Deno)"
npm run --silent test:deno

wait "$jaeger_install" || { cat .dapr/jaeger-install.log >&2; exit 1; }

step "integration, end-to-end and browser tests (real sidecars; runtime: ${RUNTIME:-node}; pub/sub: ${PUBSUB:-redis}; state: ${STATE:-redis}; Chromium)"
# The browser test's Chromium: Debian's package (CHROMIUM_PATH names another).
[ -n "${CHROMIUM_PATH:-}" ] || need_package chromium chromium
# Last, on the same system: every query of the Grafana dashboards against the
# run's Prometheus, which has scraped everything the tests before it did.
mocha --timeout 240000 --require dist/tests/support/system-hooks.js 'dist/tests/integration/**/*.test.js' dist/tests/e2e/saga.test.js 'dist/tests/browser/**/*.test.js' 'dist/tests/observability/**/*.test.js'
