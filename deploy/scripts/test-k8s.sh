#!/usr/bin/env bash
# npm run test:k8s: the platform on a real Kubernetes cluster with Dapr's
# sidecar injection, end to end.
#   1. builds what it needs, cached outside the checkout: the cluster's
#      binaries (k8s/cluster.sh), our Dapr (install-dapr.sh), the images
#      (images.sh, on a Docker engine of its own unless DOCKER_HOST is set)
#   2. brings up a one-node cluster inside network namespace logistics-k8s,
#      which has no route off this machine (checked before anything starts in
#      it and again before the tests), and loads the images into its containerd
#   3. installs Dapr's control plane from Dapr's own Helm chart with
#      deploy/k8s/dapr-system/values.yaml (our images)
#   4. validates every overlay × pub/sub × state build against the API
#      server (a server-side dry run)
#   5. for each choice in K8S_CHOICES (tests/k8s/<choice>: dev, Redis in the
#      cluster; prod-rabbitmq-postgres-deno, the prod overlay on RabbitMQ and
#      PostgreSQL outside the cluster, the services on Deno: see
#      deploy/scripts/k8s/choice.sh), applies it, waits for every pod with
#      its injected daprd, runs the end-to-end suite through the gateway's
#      Service, and checks what the manifests promise (probes, accessControl,
#      NetworkPolicies); then deletes it
#   6. tears everything down: nothing stays running, mounted or routed.
# Logs: .dapr/k8s/ (each component's log, and per choice the pods' logs).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$ROOT_DIR/deploy/scripts/netns.sh"
source "$ROOT_DIR/deploy/scripts/docker-engine.sh"
source "$ROOT_DIR/deploy/scripts/k8s/cluster.sh"
cd "$ROOT_DIR"
export PATH="$ROOT_DIR/node_modules/.bin:$PATH"

CHOICES="${K8S_CHOICES:-dev prod-rabbitmq-postgres-deno}"
NAMESPACE=logistics
OUT="$ROOT_DIR/.dapr/k8s"
MAILBOX_PORT=2525
started=$SECONDS
timings=()
step() { timings+=("$1: $(($SECONDS - step_started))s"); step_started=$SECONDS; }
step_started=$SECONDS

rm -rf "$OUT" && mkdir -p "$OUT" "$K8S_LOGS"
cleanup() {
  local status=$?
  set +e # every step of the teardown, whatever fails
  if [ -f "$K8S_RUN/pids" ]; then
    kc get pods -A -o wide --request-timeout 20s >"$OUT/pods-at-exit.txt" 2>&1 || true
    cluster_down
  fi
  engine_down
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# 1. What it needs.
cluster_build
step "cluster binaries"
engine_up
# The images the choices run: the services on Node.js and on Deno, our Dapr,
# Redis, FerretDB (the dev overlay's MongoDB), Jaeger and Prometheus
# (components/observability).
KEEP_ENGINE=1 IMAGES="node deno dapr redis ferretdb jaeger prometheus" bash deploy/scripts/images.sh
step "images"

# 2. The cluster.
cluster_up
k8s_load_images $(docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^logistics/' | grep -v '<none>' | sort -u)
step "cluster up, images loaded"

# 3. Dapr's control plane, from Dapr's Helm chart.
chart="$(go mod download -json "github.com/dapr/dapr@v$DAPR_VERSION" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')/charts/dapr"
kc create namespace dapr-system >/dev/null
# The chart's CRDs first (helm install does the same), established before
# the chart's own Configuration is applied.
kc apply --server-side -f "$chart/crds" >/dev/null
kc wait --for condition=Established crd --all --timeout 60s >/dev/null
"$K8S_TOOLS/helm" template dapr "$chart" --namespace dapr-system \
  -f deploy/k8s/dapr-system/values.yaml \
  --set global.ha.enabled=false --set dapr_scheduler.cluster.inMemoryStorage=true \
  --set global.imagePullPolicy=IfNotPresent >"$OUT/dapr-system.yaml"
kc apply --server-side -f "$OUT/dapr-system.yaml" >/dev/null
# Each workload rolled out: waiting on its pods alone fails when the
# controllers have made none yet (their creation waits out the injector's
# webhook, which is one of them: "no matching resources found").
workloads="$(kc -n dapr-system get deployments,statefulsets -o name)"
[ -n "$workloads" ] || die "no Deployment or StatefulSet in dapr-system after applying Dapr's chart"
for workload in $workloads; do
  kc -n dapr-system rollout status "$workload" --timeout 180s >/dev/null \
    || { kc -n dapr-system get pods -o wide >&2; die "Dapr's control plane did not become ready ($workload)"; }
done
step "Dapr control plane"
k8s_say "Dapr's control plane is ready: $(kc -n dapr-system get pods --no-headers | awk '{print $1}' | tr '\n' ' ')"

# 4. Every build of the manifests, against the API server.
kc create namespace "$NAMESPACE" >/dev/null
K8S_MANIFESTS_OUT="$OUT/manifests" bash deploy/scripts/test-k8s-manifests.sh >"$OUT/kubeconform.md"
dry_runs=0
for built in "$OUT"/manifests/*.yaml; do
  name="$(basename "$built" .yaml)"
  kc apply --dry-run=server -f "$built" >"$OUT/manifests/$name.dry-run.txt" 2>&1 \
    || die "server-side dry run of $name failed: $(grep -iE 'error|invalid' "$OUT/manifests/$name.dry-run.txt" | head -5)"
  dry_runs=$((dry_runs + 1))
done
kc delete namespace "$NAMESPACE" --wait >/dev/null
k8s_say "server-side dry run: $dry_runs builds accepted"
step "server-side dry runs"

# 5. Each choice, end to end.
failed=0 results=()
for choice in $CHOICES; do
  choice_started=$SECONDS
  k8s_say "== $choice"
  if bash deploy/scripts/k8s/choice.sh "$choice" "$OUT/$choice"; then result=passed; else result=FAILED; failed=1; fi
  timings+=("$choice: $((SECONDS - choice_started))s")
  results+=("$choice: $result ($([ -f "$OUT/$choice/e2e.log" ] && mocha_counts "$OUT/$choice/e2e.log" || echo "no tests ran"))")
  step_started=$SECONDS
done

netns_sealed "$K8S_NETNS"
k8s_say "no route off this machine in $K8S_NETNS: $(ip -n "$K8S_NETNS" route | wc -l) routes, none through a gateway, no default"
printf '[k8s] %s\n' "${timings[@]}" "${results[@]}" >&2
# What failed, again at the end, where the last lines of a long run show it.
for choice in $CHOICES; do
  [ -f "$OUT/$choice/e2e.log" ] && ! mocha_passed "$OUT/$choice/e2e.log" || continue
  k8s_say "$choice: what failed (the whole report: .dapr/k8s/$choice/e2e.log)"
  mocha_failures "$OUT/$choice/e2e.log" | sed "s|^|[k8s]   |" >&2
done
k8s_say "test:k8s took $((SECONDS - started))s"
exit "$failed"
