#!/usr/bin/env bash
# Makes the pinned Dapr runtime (daprd, placement, scheduler, sentry) and the dapr CLI
# available in ~/.dapr/bin, with ~/.dapr/config.yaml and ~/.dapr/components as
# `dapr init --slim` leaves them. The runtime is built from Go modules
# (deploy/dapr, with our component set and our patches to dapr's code) and
# reused while those sources are unchanged; a dapr CLI that runs is used as it
# is, else built (deploy/dapr-cli).
# Needs only the Go toolchain and the Go module proxy.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BIN="$DAPR_HOME/bin"
SRC_MODULE="$ROOT_DIR/deploy/dapr"
CLI_MODULE="$ROOT_DIR/deploy/dapr-cli"
CLI_VERSION="$(sed -n 's#^require github.com/dapr/cli v\(.*\)$#\1#p' "$CLI_MODULE/go.mod")"
COMMIT="2dcf2e3548faf3c740b3d29ee300e2132db65cff" # the v1.18.3 tag

# What the runtime is built from: a daprd built from other sources (an older
# component set, or an official release) is rebuilt.
source_stamp() {
  (
    shopt -s nullglob # patches/contrib may hold none
    cat "$SRC_MODULE/go.mod" "$SRC_MODULE/go.sum" "$SRC_MODULE"/daprd/*.go "$SRC_MODULE"/patches/*.patch \
      "$SRC_MODULE"/patches/contrib/*.patch
  ) | sha256sum | cut -d' ' -f1
}

runtime_ready() {
  [ -x "$BIN/daprd" ] && [ -x "$BIN/placement" ] && [ -x "$BIN/scheduler" ] && [ -x "$BIN/sentry" ] \
    && [ "$("$BIN/daprd" --version 2>/dev/null)" = "$DAPR_VERSION" ] \
    && [ "$(cat "$BIN/daprd.source" 2>/dev/null)" = "$(source_stamp)" ]
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

cli_ready() {
  [ -x "$BIN/dapr" ] && "$BIN/dapr" --version 2>/dev/null | grep -q '^CLI version: [0-9]'
}

need_go() {
  have go || die "Go is needed to build Dapr $DAPR_VERSION (this project's daprd, see the README): install Go >= 1.26 (Debian: golang, or go.dev/dl)"
  # dapr's go.mod asks for Go 1.26.6; an older local Go fetches that toolchain
  # through the module proxy.
  export GOTOOLCHAIN="${GOTOOLCHAIN_OVERRIDE:-auto}" GOFLAGS="-buildvcs=false"
}

build_cli() {
  need_go
  local work="$CACHE_DIR/dapr-cli-$CLI_VERSION" started=$SECONDS
  say "building the dapr CLI $CLI_VERSION from its Go module in $work"
  mkdir -p "$work"
  cp "$CLI_MODULE/go.mod" "$CLI_MODULE/go.sum" "$CLI_MODULE/tools.go" "$work/"
  (cd "$work" && go build -mod=readonly -trimpath -ldflags "-s -w -X main.version=$CLI_VERSION -X main.apiVersion=1.0" -o dapr github.com/dapr/cli)
  mkdir -p "$BIN"
  install -m 0755 "$work/dapr" "$BIN/dapr"
  say "built and installed the dapr CLI $CLI_VERSION into $BIN in $((SECONDS - started))s"
}

# The build tree, in $BUILD_DIR: a copy of the verified dapr module with our
# component set in cmd/daprd/components in place of zz_notag.go, whose files
# register every upstream component behind build tags, and with our patches
# (deploy/dapr/patches/*.patch) applied to dapr's own code; and a copy of the
# verified components-contrib module dapr asks for, with our patches to it
# (deploy/dapr/patches/contrib/*.patch). Only what components/ uses is
# compiled in; the rest is the official code.
BUILD_DIR="$CACHE_DIR/dapr-build-$DAPR_VERSION"
prepare_build_tree() {
  need_go
  need_package patch patch
  mkdir -p "$BUILD_DIR"
  cp "$SRC_MODULE/go.mod" "$SRC_MODULE/go.sum" "$BUILD_DIR/"
  (
    cd "$BUILD_DIR"
    go mod download github.com/dapr/dapr
    local upstream; upstream="$(go list -m -f '{{.Dir}}' github.com/dapr/dapr)"
    rm -rf dapr && cp -R "$upstream" dapr && chmod -R u+w dapr
    cp "$SRC_MODULE/daprd/components.go" dapr/cmd/daprd/components/zz_notag.go
    local file
    for file in "$SRC_MODULE"/daprd/*.go; do
      [ "$(basename "$file")" = components.go ] || cp "$file" "dapr/cmd/daprd/components/zz_logistics_$(basename "$file")"
    done
    for file in "$SRC_MODULE"/patches/*.patch; do
      patch -d dapr -p1 --forward --no-backup-if-mismatch --quiet <"$file" \
        || die "deploy/dapr/patches/$(basename "$file") does not apply to dapr $DAPR_VERSION"
    done
    go mod edit -replace github.com/dapr/dapr=./dapr

    # The same for the components-contrib version dapr asks for.
    go mod download github.com/dapr/components-contrib
    local contrib contrib_version
    contrib="$(go list -m -f '{{.Dir}}' github.com/dapr/components-contrib)"
    contrib_version="$(go list -m -f '{{.Version}}' github.com/dapr/components-contrib)"
    rm -rf components-contrib && cp -R "$contrib" components-contrib && chmod -R u+w components-contrib
    for file in "$SRC_MODULE"/patches/contrib/*.patch; do
      [ -e "$file" ] || continue # there may be none
      patch -d components-contrib -p1 --forward --no-backup-if-mismatch --quiet <"$file" \
        || die "deploy/dapr/patches/contrib/$(basename "$file") does not apply to components-contrib $contrib_version"
    done
    go mod edit -replace github.com/dapr/components-contrib=./components-contrib
  )
}

build_ldflags() {
  echo "-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$DAPR_VERSION -X github.com/dapr/dapr/pkg/buildinfo.gitcommit=$COMMIT -X github.com/dapr/dapr/pkg/buildinfo.gitversion=v$DAPR_VERSION"
}

build_from_modules() {
  local started=$SECONDS
  say "building Dapr $DAPR_VERSION from its Go modules in $BUILD_DIR (first time: several minutes)"
  prepare_build_tree
  cd "$BUILD_DIR"
  local ldflags; ldflags="$(build_ldflags)"
  mkdir -p out
  # One go build for the four: their packages compile once, and one
  # command links while the others still compile.
  say "  go build daprd placement scheduler sentry"
  go build -mod=readonly -trimpath -ldflags "$ldflags" -o out/ \
    github.com/dapr/dapr/cmd/daprd github.com/dapr/dapr/cmd/placement github.com/dapr/dapr/cmd/scheduler github.com/dapr/dapr/cmd/sentry
  mkdir -p "$BIN"
  for cmd in daprd placement scheduler sentry; do install -m 0755 "out/$cmd" "$BIN/$cmd"; done
  source_stamp >"$BIN/daprd.source"
  say "built and installed daprd, placement, scheduler, sentry $DAPR_VERSION into $BIN in $((SECONDS - started))s"
}

# install-dapr.sh test <go test args>: our Go tests (deploy/dapr/daprd: of
# the components and the dapr code our patches change), in the build tree
# (deploy/scripts/test-daprd-components.sh gives them their servers).
if [ "${1:-}" = test ]; then
  shift
  prepare_build_tree
  cd "$BUILD_DIR"
  # -trimpath as in the build above, so that the compiled packages are shared.
  exec go test -mod=readonly -trimpath "$@" github.com/dapr/dapr/cmd/daprd/components
fi

# install-dapr.sh kubernetes: also Dapr's Kubernetes control plane (operator
# and injector) into $BIN, for the images of deploy/docker/Dockerfile.dapr.
if [ "${1:-}" = kubernetes ]; then
  runtime_ready || build_from_modules
  if [ ! -x "$BIN/operator" ] || [ ! -x "$BIN/injector" ] || [ "$(cat "$BIN/control-plane.source" 2>/dev/null)" != "$(source_stamp)" ]; then
    started=$SECONDS
    say "building Dapr's operator and injector $DAPR_VERSION in $BUILD_DIR"
    [ -d "$BUILD_DIR/dapr" ] || prepare_build_tree
    cd "$BUILD_DIR"
    go build -mod=readonly -trimpath -ldflags "$(build_ldflags)" -o out/ github.com/dapr/dapr/cmd/operator github.com/dapr/dapr/cmd/injector
    for cmd in operator injector; do install -m 0755 "out/$cmd" "$BIN/$cmd"; done
    source_stamp >"$BIN/control-plane.source"
    say "built operator and injector into $BIN in $((SECONDS - started))s"
  fi
  exit 0
fi

# The CLI builds beside the runtime: each go build leaves a core idle while
# it fetches modules and links.
cli_build=""
if ! cli_ready; then build_cli & cli_build=$!; fi
runtime_ready || build_from_modules
[ -z "$cli_build" ] || wait "$cli_build" || die "building the dapr CLI failed"
write_slim_layout
runtime_ready || die "daprd in $BIN does not report version $DAPR_VERSION"
cli_ready || die "the dapr CLI in $BIN does not run"
