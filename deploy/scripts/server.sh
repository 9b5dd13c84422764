#!/usr/bin/env bash
# One server of deploy/scripts/servers/, for programs that are not bash (the
# test harness starts its own servers on ports and data dirs of its own):
#   bash deploy/scripts/server.sh <name> install|ready|run|setup|backlog
#   bash deploy/scripts/server.sh <name> drop <app> <topic>   (the fault suite's lost events)
# Ports and data dirs come from the environment (REDIS_PORT, KAFKA_DATA_DIR, ...).
set -euo pipefail
name="${1:?usage: server.sh <name> install|ready|run|setup|backlog|drop}"
action="${2:?usage: server.sh <name> install|ready|run|setup|backlog|drop}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Each of lib.sh's server_* dies on a name that is not a server.
case "$action" in
  install) server_install "$name" ;;
  ready) server_ready "$name" ;;
  run) server_run "$name" ;;
  setup) server_setup "$name" ;;
  backlog) server_backlog "$name" ;;
  drop) server_drop "$name" "${3:?app}" "${4:?topic}" ;;
  *) die "unknown action $action" ;;
esac
