#!/usr/bin/env bash
# deploy/scripts/k8s/choice.sh <choice> <output dir>: one deployment of the
# platform on the running test cluster (deploy/scripts/test-k8s.sh brings it
# up), end to end, then gone again.
#   dev                       tests/k8s/dev: overlays/dev (Redis in the cluster)
#   prod-<pubsub>-<state>[-deno]
#                             tests/k8s/prod: overlays/prod with that broker and
#                             store chosen as its kustomization says (the
#                             components lines' last word), the servers (and
#                             the read side's FerretDB) outside the cluster on
#                             the node, as a managed broker and database
#                             would be; with -deno, the
#                             services on Deno (components/runtime/deno)
# Applies it, waits for every Deployment (each pod with its injected daprd),
# runs the end-to-end suite, the read side's (tests/integration/dashboard.test.ts),
# one order's trace from the cluster's Jaeger and the business metrics from
# its Prometheus (trace.test.ts, metrics.test.ts) through the Services, and the cluster checks
# (tests/k8s/cluster.test.ts), keeps every pod's log, and deletes it.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$ROOT_DIR/deploy/scripts/netns.sh"
source "$ROOT_DIR/deploy/scripts/k8s/cluster.sh"
cd "$ROOT_DIR"
choice="$1" out="$2"
NAMESPACE=logistics
mkdir -p "$out/pods"

# The manifests as a user would have them for this choice: a copy of
# deploy/k8s and tests/k8s, with the prod overlay's components lines changed.
work="$(mktemp -d "${TMPDIR:-/tmp}/logistics-choice-XXXXXX")" applied_at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
servers_started=() missing=""
finish() {
  local status=$?
  set +e # every step of the teardown, whatever fails
  local pod
  for pod in $(kc -n "$NAMESPACE" get pods -o name --request-timeout 20s 2>/dev/null); do
    kc -n "$NAMESPACE" logs "$pod" --all-containers --prefix --request-timeout 20s >"$out/pods/${pod#pod/}.log" 2>&1 || true
    # A container that restarted: what its last run wrote, and how it ended
    # (asked per container: with --all-containers, one container that never
    # restarted makes kubectl print nothing at all).
    local container
    for container in $(kc -n "$NAMESPACE" get "$pod" --request-timeout 20s \
      -o jsonpath='{range .status.containerStatuses[?(@.restartCount>0)]}{.name}{" "}{end}' 2>/dev/null); do
      kc -n "$NAMESPACE" get "$pod" --request-timeout 20s \
        -o jsonpath="{.status.containerStatuses[?(@.name==\"$container\")].lastState}" >"$out/pods/${pod#pod/}.$container.last-state.json" 2>&1
      kc -n "$NAMESPACE" logs "$pod" -c "$container" --previous --request-timeout 20s \
        >"$out/pods/${pod#pod/}.$container.previous.log" 2>&1
      # In the output too: CI keeps only what was printed.
      k8s_say "${pod#pod/}/$container restarted; how its last run ended: $(cat "$out/pods/${pod#pod/}.$container.last-state.json")"
      tail -n 25 "$out/pods/${pod#pod/}.$container.previous.log" | sed "s|^|[k8s]   ${pod#pod/}/$container: |" >&2
    done
  done
  # Dapr's control plane: what sentry, the operator and the injector said
  # while this choice ran (a sidecar refused its identity, or a pod left
  # without one, shows there).
  local deployment
  for deployment in dapr-sentry dapr-operator dapr-sidecar-injector; do
    kc -n dapr-system logs "deployment/$deployment" --since-time "$applied_at" --request-timeout 20s >"$out/$deployment.log" 2>&1
  done
  if [ -n "$(ls "$out"/pods/*.previous.log 2>/dev/null)" ] || [ -n "$missing" ]; then
    grep -h '"level":"\(error\|warning\|fatal\)"' "$out"/dapr-*.log | tail -n 20 | sed 's|^|[k8s]   dapr-system: |' >&2
  fi
  kc -n "$NAMESPACE" get events --sort-by=.lastTimestamp --request-timeout 20s >"$out/events.txt" 2>&1 || true
  kc -n "$NAMESPACE" get pods -o wide --request-timeout 20s >"$out/pods.txt" 2>&1 || true
  kc delete namespace "$NAMESPACE" --wait --timeout 120s --request-timeout 130s >/dev/null 2>&1 || true
  local name
  for name in "${servers_started[@]}"; do k8s_server_stop "$name"; done
  rm -rf "$work"
  exit "$status"
}
trap finish EXIT
mkdir -p "$work/deploy" "$work/tests"
cp -R deploy/k8s "$work/deploy/"
cp -R tests/k8s "$work/tests/"
case "$choice" in
  dev) dir="$work/tests/k8s/dev" ;;
  prod-*-*)
    pubsub="$(cut -d- -f2 <<<"$choice")" state="$(cut -d- -f3 <<<"$choice")" runtime="$(cut -d- -f4 <<<"$choice")"
    # prod-<pubsub>-<state>-deno: the services on Deno (components/runtime/deno).
    k8s_choose "$work/deploy/k8s/overlays/prod/kustomization.yaml" "$pubsub" "$state" "$runtime"
    dir="$work/tests/k8s/prod"
    # The broker, the store, and the read side's MongoDB (FerretDB here).
    for name in $(PUBSUB="$pubsub" STATE="$state" server_names) ferretdb; do
      k8s_server_start "$name" "$out"
      servers_started+=("$name")
    done
    ;;
  *) die "unknown choice $choice (dev, or prod-<pubsub>-<state>)" ;;
esac

started=$SECONDS applied_at="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
kc apply -k "$dir" >"$out/apply.txt" || die "kubectl apply -k failed for $choice"
if ! kc -n "$NAMESPACE" wait --for=condition=Available deployments --all --timeout 300s >"$out/wait.txt" 2>&1; then
  kc -n "$NAMESPACE" get pods -o wide >&2
  # A pod that asked for a sidecar and runs without one: what the API server
  # said about its admission (the injector's warnings follow from finish).
  # CI keeps only what is printed.
  missing="$(kc -n "$NAMESPACE" get pods -o go-template='{{range .items}}{{if index .metadata.annotations "dapr.io/enabled"}}{{$name := .metadata.name}}{{$daprd := false}}{{range .spec.containers}}{{if eq .name "daprd"}}{{$daprd = true}}{{end}}{{end}}{{if not $daprd}}{{$name}} {{end}}{{end}}{{end}}')"
  if [ -n "$missing" ]; then
    k8s_say "$choice: pods without their daprd: $missing"
    grep -i 'webhook' "$K8S_LOGS/kube-apiserver.log" | tail -n 10 | sed 's|^|[k8s]   kube-apiserver: |' >&2
  fi
  kc -n "$NAMESPACE" get events --field-selector reason=FailedCreate --request-timeout 20s 2>&1 | tail -n 10 >&2
  die "$choice: not every Deployment became available within 300 s"
fi
k8s_say "$choice: every Deployment available $((SECONDS - started))s after apply"
kc -n "$NAMESPACE" get pods -o custom-columns='POD:.metadata.name,READY:.status.containerStatuses[*].ready,CONTAINERS:.spec.containers[*].name,RESTARTS:.status.containerStatuses[*].restartCount' \
  | tee "$out/pods-ready.txt" >&2
kc get pods -A -o wide >"$out/pods-all.txt"

# The suites run inside the cluster's namespace, where the Services' and the
# pods' addresses lead somewhere.
netns_sealed "$K8S_NETNS"
status=0
ip netns exec "$K8S_NETNS" env K8S_NAMESPACE="$NAMESPACE" K8S_CHOICE="$choice" \
  K8S_KUBECTL="$K8S_BIN/kubectl --kubeconfig $K8S_RUN/pki/admin.kubeconfig" K8S_MAILBOX="$K8S_NODE_IP:587" \
  K8S_MAILBOX_TLS="$K8S_RUN/pki/mailbox.key:$K8S_RUN/pki/mailbox.crt" \
  mocha --timeout 240000 --require dist/tests/support/system-hooks.js dist/tests/e2e/saga.test.js dist/tests/integration/dashboard.test.js \
    dist/tests/integration/trace.test.js dist/tests/integration/metrics.test.js dist/tests/k8s/cluster.test.js \
  2>&1 | tee "$out/e2e.log" || status=1
mocha_passed "$out/e2e.log" || status=1
k8s_say "$choice: $(mocha_counts "$out/e2e.log")"
exit "$status"
