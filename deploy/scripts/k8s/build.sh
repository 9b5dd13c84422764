#!/usr/bin/env bash
# The test cluster's binaries (k8s/cluster.sh, cluster_build), built into the
# cache without starting anything. .ci/run starts it first, at the lowest
# priority, so that with empty caches they build while the suites that need
# no cluster run; npm run test:k8s then waits for it (cluster_build's lock).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$ROOT_DIR/deploy/scripts/netns.sh"
source "$ROOT_DIR/deploy/scripts/k8s/cluster.sh"
cluster_build
