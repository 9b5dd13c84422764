#!/usr/bin/env bash
# One server of deploy/scripts/servers/, for programs that are not bash (the
# test harness starts its own servers on ports and data dirs of its own):
#   bash deploy/scripts/server.sh <name> install|ready|run|setup
# Ports and data dirs come from the environment (REDIS_PORT, KAFKA_DATA_DIR, ...).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
name="${1:?usage: server.sh <name> install|ready|run|setup}"
action="${2:?usage: server.sh <name> install|ready|run|setup}"
declare -F "${name}_run" >/dev/null || die "no server named $name (deploy/scripts/servers/$name.sh)"
case "$action" in
  install) "${name}_install" ;;
  ready) "${name}_ready" ;;
  run) "${name}_run" ;;
  setup) server_setup "$name" ;;
  *) die "unknown action $action" ;;
esac
