#!/usr/bin/env bash
# Makes the pinned Dapr runtime (daprd, placement, scheduler) available in
# ~/.dapr/bin, with ~/.dapr/config.yaml and ~/.dapr/components as
# `dapr init --slim` leaves them. An installed runtime of the pinned version is
# used as it is; otherwise the binaries are built from their Go modules
# (deploy/dapr), which needs only the Go toolchain and the Go module proxy.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN="$DAPR_HOME/bin"
SRC_MODULE="$ROOT_DIR/deploy/dapr"
COMMIT="2dcf2e3548faf3c740b3d29ee300e2132db65cff" # the v1.18.3 tag

runtime_ready() {
  [ -x "$BIN/daprd" ] && [ -x "$BIN/placement" ] && [ -x "$BIN/scheduler" ] \
    && [ "$("$BIN/daprd" --version 2>/dev/null)" = "$DAPR_VERSION" ]
}

# The files `dapr init --slim` writes besides the binaries.
write_slim_layout() {
  mkdir -p "$DAPR_HOME/components"
  if [ ! -f "$DAPR_HOME/config.yaml" ]; then
    cat >"$DAPR_HOME/config.yaml" <<'YAML'
apiVersion: dapr.io/v1alpha1
kind: Configuration
metadata:
  name: daprConfig
spec: {}
YAML
  fi
}

build_from_modules() {
  have go || die "Go is needed to build Dapr $DAPR_VERSION (no daprd $DAPR_VERSION in $BIN): install Go >= 1.26 (Debian: golang, or go.dev/dl) or run 'dapr init --slim --runtime-version $DAPR_VERSION' where there is internet"
  # dapr's go.mod asks for Go 1.26.6; an older local Go fetches that toolchain
  # through the module proxy.
  export GOTOOLCHAIN="${GOTOOLCHAIN_OVERRIDE:-auto}" GOFLAGS="-buildvcs=false"
  local work="$CACHE_DIR/dapr-build-$DAPR_VERSION" started=$SECONDS
  say "building Dapr $DAPR_VERSION from its Go modules in $work (first time: several minutes)"
  mkdir -p "$work"
  cp "$SRC_MODULE/go.mod" "$SRC_MODULE/go.sum" "$work/"
  cd "$work"
  # The component set lives in cmd/daprd/components, whose files register
  # every upstream component behind build tags. A copy of the verified module
  # with our components.go in place of zz_notag.go compiles only what
  # components/ uses; the rest of cmd/daprd is the official code.
  go mod download github.com/dapr/dapr
  local upstream; upstream="$(go list -m -f '{{.Dir}}' github.com/dapr/dapr)"
  rm -rf dapr && cp -R "$upstream" dapr && chmod -R u+w dapr
  cp "$SRC_MODULE/daprd/components.go" dapr/cmd/daprd/components/zz_notag.go
  go mod edit -replace github.com/dapr/dapr=./dapr
  local ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION -X github.com/dapr/dapr/pkg/buildinfo.gitcommit=$COMMIT -X github.com/dapr/dapr/pkg/buildinfo.gitversion=v$DAPR_VERSION"
  mkdir -p out
  for cmd in daprd placement scheduler; do
    say "  go build $cmd"
    go build -mod=readonly -trimpath -ldflags "$ldflags" -o "out/$cmd" "github.com/dapr/dapr/cmd/$cmd"
  done
  mkdir -p "$BIN"
  for cmd in daprd placement scheduler; do install -m 0755 "out/$cmd" "$BIN/$cmd"; done
  say "built and installed daprd, placement, scheduler $DAPR_VERSION into $BIN in $((SECONDS - started))s"
}

if runtime_ready; then
  write_slim_layout
  exit 0
fi
build_from_modules
write_slim_layout
runtime_ready || die "daprd in $BIN does not report version $DAPR_VERSION"
