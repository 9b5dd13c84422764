#!/usr/bin/env bash
# The Kubernetes manifests as a cluster would get them, checked offline: every
# overlay (dev, prod) with every pub/sub × state component built with
# kustomize, and every resource validated with kubeconform (strict: no field
# the schema does not have) against the Kubernetes 1.36 schemas (PyPI's
# kubernetes-validate) and Dapr's own CRD schemas (from the dapr module's
# chart). The tools are built from their Go modules and cached, like daprd.
# npm test runs it; `npm run test:k8s-manifests` alone.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT_DIR"
say() { printf '[k8s] %s\n' "$*" >&2; }

KUSTOMIZE_VERSION=v5.8.0
KUBECONFORM_VERSION=v0.8.0
KUBERNETES_VALIDATE_VERSION=1.37.0
# The Kubernetes version the manifests are checked against.
SCHEMA_VERSION=v1.36.0

tools="$CACHE_DIR/k8s-tools"
export GOTOOLCHAIN="${GOTOOLCHAIN_OVERRIDE:-auto}" GOFLAGS="-buildvcs=false"
build_tool() {
  local name="$1" module="$2" version="$3"
  [ -x "$tools/$version/$name" ] && return
  have go || die "Go is needed to build $name (see the README's prerequisites)"
  say "building $name $version from its Go module"
  GOBIN="$tools/$version" go install "$module@$version" || die "could not build $name $version"
}
build_tool kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION"
build_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
kustomize="$tools/$KUSTOMIZE_VERSION/kustomize"
kubeconform="$tools/$KUBECONFORM_VERSION/kubeconform"

schemas="$CACHE_DIR/k8s-schemas-$SCHEMA_VERSION-kv$KUBERNETES_VALIDATE_VERSION-dapr$DAPR_VERSION-$(sha256sum deploy/k8s/validate/schemas.py | cut -c1-8)"
if [ ! -s "$schemas/kubernetes/deployment-apps-v1.json" ]; then
  venv="$CACHE_DIR/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
  if [ ! -x "$venv/bin/python" ]; then
    say "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION (its schemas) from PyPI"
    python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" \
      || { rm -rf "$venv"; die "could not install kubernetes-validate from PyPI"; }
  fi
  source_dir="$("$venv/bin/python" -c 'import kubernetes_validate, os; print(os.path.dirname(kubernetes_validate.__file__))')/kubernetes-json-schema/$SCHEMA_VERSION-local-strict"
  dapr_dir="$(cd "$CACHE_DIR" && go mod download -json "github.com/dapr/dapr@v$DAPR_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -d "$dapr_dir/charts/dapr/crds" ] || die "no CRDs in the dapr module ($dapr_dir)"
  rm -rf "$schemas.tmp"
  "$venv/bin/python" deploy/k8s/validate/schemas.py "$source_dir" "$dapr_dir/charts/dapr/crds" "$schemas.tmp" >&2 && mv "$schemas.tmp" "$schemas"
fi

# `test-k8s-manifests.sh tools`: the tools and the schemas only (npm test
# builds them beside its first steps).
[ "${1:-}" != tools ] || exit 0

work="$(mktemp -d "${TMPDIR:-/tmp}/logistics-k8s-XXXXXX")"
trap 'rm -rf "$work"' EXIT
failed=0
built=()
for overlay in dev prod; do
  for pubsub in $(ls deploy/k8s/components/pubsub); do
    for state in $(ls deploy/k8s/components/state); do
      # A copy of deploy/k8s whose overlay takes this choice's components.
      name="$overlay-$pubsub-$state"
      cp -R deploy/k8s "$work/$name"
      k8s_choose "$work/$name/overlays/$overlay/kustomization.yaml" "$pubsub" "$state"
      if "$kustomize" build "$work/$name/overlays/$overlay" >"$work/$name.yaml" 2>"$work/$name.err"; then
        built+=("$work/$name.yaml")
      else
        say "kustomize build of $overlay with $pubsub and $state failed:"; cat "$work/$name.err" >&2
        failed=1
      fi
    done
  done
done
# Dapr's resources come before the Deployments in every build (the
# overlays' sortOptions): a sidecar whose Configuration the operator does
# not have yet exits.
for file in "${built[@]}"; do
  order="$(grep '^kind:' "$file" | awk '{print $2}' | uniq | tr '\n' ' ')"
  dapr_last="$(grep -nE '^kind: (Configuration|Component|Resiliency)$' "$file" | tail -1 | cut -d: -f1)"
  deployment_first="$(grep -n '^kind: Deployment$' "$file" | head -1 | cut -d: -f1)"
  if [ -z "$dapr_last" ] || [ -z "$deployment_first" ] || [ "$dapr_last" -gt "$deployment_first" ]; then
    say "$(basename "$file" .yaml): Dapr's resources must come before the Deployments; the order is: $order"
    failed=1
  fi
done

# One run for every file: kubeconform compiles each schema once.
"$kubeconform" -strict -verbose -output json \
  -schema-location "$schemas/kubernetes/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  -schema-location "$schemas/dapr/{{ .ResourceKind }}-{{ .Group }}-{{ .ResourceAPIVersion }}.json" \
  "${built[@]}" >"$work/report.json" || failed=1
node -e '
  const { resources = [] } = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const rows = new Map();
  for (const r of resources) {
    const name = require("path").basename(r.filename, ".yaml");
    const row = rows.get(name) ?? { total: 0, valid: 0 };
    row.total += 1;
    if (r.status === "statusValid") row.valid += 1;
    else console.error(`  ${name}: ${r.kind} ${r.name}: ${r.status} ${r.msg ?? ""}`);
    rows.set(name, row);
  }
  console.log("| overlay | pub/sub | state | resources | valid | invalid or unknown |\n|---|---|---|---|---|---|");
  for (const [name, row] of [...rows].sort()) console.log(`| ${name.split("-").join(" | ")} | ${row.total} | ${row.valid} | ${row.total - row.valid} |`);
  // Every file built must have been read, each with its resources.
  if (rows.size !== Number(process.argv[2])) { console.error(`kubeconform reported on ${rows.size} of ${process.argv[2]} files`); process.exit(1); }
' "$work/report.json" "${#built[@]}" || failed=1
[ "$failed" = 0 ] || die "some manifests did not build or validate (above)"
# K8S_MANIFESTS_OUT=<dir>: keep the builds there (npm run test:k8s gives them
# to the API server for a dry run).
if [ -n "${K8S_MANIFESTS_OUT:-}" ]; then mkdir -p "$K8S_MANIFESTS_OUT" && cp "${built[@]}" "$K8S_MANIFESTS_OUT/"; fi
say "every overlay × choice built with kustomize $KUSTOMIZE_VERSION and valid for Kubernetes $SCHEMA_VERSION and Dapr $DAPR_VERSION (kubeconform $KUBECONFORM_VERSION, strict)"
