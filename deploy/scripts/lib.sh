# Shared helpers for the provisioning scripts. Source it; do not run it.
# Everything these scripts download or build is cached outside the checkout,
# so a second run takes seconds. Sourcing it defines functions and variables
# and nothing else, apart from the shell options below, which the scripts that
# source it rely on.
# shellcheck source-path=SCRIPTDIR

set -euo pipefail

CACHE_DIR="${DAPR_LOGISTICS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/dapr-logistics}"
DAPR_HOME="${DAPR_RUNTIME_PATH:-$HOME}/.dapr"
DAPR_VERSION="1.18.3"
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

say() { printf '[provision] %s\n' "$*" >&2; }
die() { printf '[provision] error: %s\n' "$*" >&2; exit 1; }

have() { command -v "$1" >/dev/null 2>&1; }

# Installs Debian packages when the named command is missing; explains what to
# do where apt-get is not usable (another distribution, or not root).
need_package() {
  local cmd="$1"; shift
  have "$cmd" && return 0
  if have apt-get && [ "$(id -u)" = 0 ]; then
    say "installing $* (for $cmd) from the distribution's packages"
    make_cache_dir # for apt.err
    if ! apt_get install -y -qq --no-install-recommends "$@" >/dev/null 2>"$CACHE_DIR/apt.err"; then
      apt_get update -qq >/dev/null 2>&1 || true
      apt_get install -y -qq --no-install-recommends "$@" >/dev/null 2>"$CACHE_DIR/apt.err" \
        || die "could not install $* ($(tail -1 "$CACHE_DIR/apt.err")); install it and run again"
    fi
  else
    die "$cmd is missing: install the package '$*' (or put $cmd on PATH) and run again"
  fi
  have "$cmd" || die "$cmd still missing after installing $*"
}

# apt-get, waiting its turn: for the package database's lock, which another
# apt (ours, in a suite running beside this one, or the system's) may hold.
apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@"
}

# need_package for a server's package: Debian's postinst would start a
# system-wide server on the default port, while our scripts start their own.
# A policy-rc.d that denies starts is in place for the install only (an
# existing one is left as it is).
install_without_starting() {
  if [ -e /usr/sbin/policy-rc.d ] || [ "$(id -u)" != 0 ] || have "$1"; then need_package "$@"; return; fi
  ( trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    need_package "$@" ) || exit 1
}

# Dapr's ports (sentry's 50001, placement's 50005, the sidecars' gRPC ports
# 50011-50071) and the test systems' (the same at an offset of 100-650) lie
# in the range the kernel hands out to outgoing connections (32768-60999 by
# default): a client socket that happens to hold one makes a server started
# there fail ("address already in use") for as long as it lives. The test
# suites, as root, reserve 50000-50999 (net.ipv4.ip_local_reserved_ports,
# until the next boot): no outgoing connection is given one, and servers
# still listen on them.
reserve_test_ports() {
  local file=/proc/sys/net/ipv4/ip_local_reserved_ports range=50000-50999 current
  current="$(cat "$file" 2>/dev/null)" || return 0
  [[ ",$current," != *",$range,"* ]] || return 0
  { [ -w "$file" ] && printf '%s\n' "${current:+$current,}$range" >"$file"; } 2>/dev/null \
    || say "note: could not reserve ports $range for the tests ($file); a server may now and then fail to start on one"
}

# Creates CACHE_DIR; called by whatever writes there directly (the servers'
# data directories are made with mkdir -p by their run functions).
make_cache_dir() {
  mkdir -p "$CACHE_DIR" || die "could not create the cache directory $CACHE_DIR"
}

# A server's command built from its Go module, once: $1 names it in what is
# said, $2@$3 is the module, $4 the command's package in it, $5 the binary to
# write (its folder also keeps build.log). Built from a copy of the module's
# source (go mod download), so that its go.mod (and its replace directives)
# apply and the module cache stays as it was. $6, if given, is a function run
# in the copy first (a file the project's own build would write).
go_module_build() {
  local name="$1" module="$2" version="$3" package="$4" bin="$5" prepare="${6:-}"
  have go || die "Go is needed to build $name: install Go"
  make_cache_dir
  local dir="${bin%/bin/*}" started=$SECONDS source
  mkdir -p "$dir"
  say "building $name $version from its Go module (once; cached in $dir)"
  source="$(go mod download -json "$module@$version" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir||""))')"
  [ -d "$source" ] || die "could not download the $name $version module ($module)"
  rm -rf "$dir/src" && cp -R "$source" "$dir/src" && chmod -R u+w "$dir/src"
  if [ -n "$prepare" ]; then (cd "$dir/src" && "$prepare") || die "preparing the $name source failed"; fi
  (cd "$dir/src" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -o "$bin" "$package") >"$dir/build.log" 2>&1 \
    || die "building $name failed: $(tail -5 "$dir/build.log")"
  rm -rf "$dir/src"
  say "built $name in $((SECONDS - started))s"
}

# The server a pub/sub or state choice runs on (the folder names of
# components/pubsub/ and components/state/ to those of servers/).
server_for() {
  case "$1" in
    jetstream) echo nats ;;
    mqtt) echo mosquitto ;;
    *) echo "$1" ;;
  esac
}

# Mocha's verdict in log $1: succeeds when something passed and nothing
# failed; mocha_counts prints "<n> passing, <m> failing" for a summary line.
mocha_passed() {
  grep -Eq '^\s+[0-9]+ passing' "$1" && ! grep -Eq '^\s+[0-9]+ failing' "$1"
}
mocha_counts() {
  printf '%s, %s' "$(grep -Eo '[0-9]+ passing' "$1" | tail -1 || echo "0 passing")" "$(grep -Eo '[0-9]+ failing' "$1" | tail -1 || echo "0 failing")"
}
# mocha_failures LOG: mocha's report of what failed (the first $2 lines of it,
# 60 by default), without colours, to repeat at the end of a long run, where
# a reader of its last lines sees it.
mocha_failures() {
  sed -e 's/\x1b\[[0-9;]*m//g' "$1" | sed -n '/^ *[0-9][0-9]* failing$/,$p' | head -n "${2:-60}"
}

# Makes the kustomization $1 (an overlay's, in a copy of deploy/k8s) take
# pub/sub $2 and state store $3 instead of Redis, and with $4 = deno the
# services on Deno: the one-line edits the README gives an operator.
k8s_choose() {
  local file="$1" pubsub="$2" state="$3" runtime="${4:-}"
  sed -i -e "s#components/pubsub/redis#components/pubsub/$pubsub#" -e "s#components/state/redis#components/state/$state#" "$file"
  grep -q "components/pubsub/$pubsub\$" "$file" && grep -q "components/state/$state\$" "$file" \
    || die "could not choose $pubsub and $state in $file"
  if [ "$runtime" = deno ]; then
    sed -i -e "s#^  - ../../components/state/$state\$#&\n  - ../../components/runtime/deno#" "$file"
    grep -q "components/runtime/deno" "$file" || die "could not choose Deno in $file"
  fi
}

# The servers the PUBSUB and STATE choices need, each once (Redis may serve both).
server_names() {
  printf '%s\n' "$(server_for "${PUBSUB:-redis}")" "$(server_for "${STATE:-redis}")" | sort -u
}

# The servers of servers/ by name: each dispatcher calls the function of that
# server's script, written out, so that grep finds every caller.

# Installs server $1's package (or whatever it runs on).
server_install() {
  case "$1" in
    ferretdb) ferretdb_install ;;
    jaeger) jaeger_install ;;
    kafka) kafka_install ;;
    mailbox) mailbox_install ;;
    mosquitto) mosquitto_install ;;
    nats) nats_install ;;
    postgres) postgres_install ;;
    prometheus) prometheus_install ;;
    rabbitmq) rabbitmq_install ;;
    redis) redis_install ;;
    placement | sentry) die "$1 has no install step here: install-dapr.sh builds it with daprd" ;;
    *) die "no server named $1 (deploy/scripts/servers/$1.sh)" ;;
  esac
}

# Succeeds when server $1 answers on its port (its status, for `if` and `until`).
server_ready() {
  case "$1" in
    ferretdb) ferretdb_ready ;;
    jaeger) jaeger_ready ;;
    kafka) kafka_ready ;;
    mailbox) mailbox_ready ;;
    mosquitto) mosquitto_ready ;;
    nats) nats_ready ;;
    placement) placement_ready ;;
    postgres) postgres_ready ;;
    prometheus) prometheus_ready ;;
    rabbitmq) rabbitmq_ready ;;
    redis) redis_ready ;;
    sentry) sentry_ready ;;
    *) die "no server named $1 (deploy/scripts/servers/$1.sh)" ;;
  esac
}

# Runs server $1 in the foreground (most exec the server, so the pid stays its).
server_run() {
  case "$1" in
    ferretdb) ferretdb_run ;;
    jaeger) jaeger_run ;;
    kafka) kafka_run ;;
    mailbox) mailbox_run ;;
    mosquitto) mosquitto_run ;;
    nats) nats_run ;;
    placement) placement_run ;;
    postgres) postgres_run ;;
    prometheus) prometheus_run ;;
    rabbitmq) rabbitmq_run ;;
    redis) redis_run ;;
    sentry) sentry_run ;;
    *) die "no server named $1 (deploy/scripts/servers/$1.sh)" ;;
  esac
}

# What server $1 needs once it is ready (creating JetStream's streams, say);
# only NATS needs anything.
server_setup() {
  case "$1" in
    nats) nats_setup ;;
    ferretdb | jaeger | kafka | mailbox | mosquitto | placement | postgres | prometheus | rabbitmq | redis | sentry) ;;
    *) die "no server named $1 (deploy/scripts/servers/$1.sh)" ;;
  esac
}

# Prints what server $1 holds that its consumers have not acknowledged, one
# line per queue: "<queue> <not yet delivered> <delivered, not acknowledged>"
# (the fault suite's check that nothing is left behind). Brokers only.
server_backlog() {
  case "$1" in
    rabbitmq) rabbitmq_backlog ;;
    redis) redis_backlog ;;
    *) die "no backlog check for $1" ;;
  esac
}

# Deletes, on broker $1, the events of topic $3 that app $2 has not read yet:
# a broker losing messages, for the fault suite to show that the saga's
# reconciliation makes them good. Only for a test's own servers.
server_drop() {
  case "$1" in
    rabbitmq) rabbitmq_drop "$2" "$3" ;;
    redis) redis_drop "$2" "$3" ;;
    *) die "no way to drop events on $1" ;;
  esac
}

# Starts server $1 in the background, its output in $2; its pid is left in
# SERVER_PID, so that the caller can stop it (by that pid) however it ends.
server_start() {
  ( server_run "$1" ) >"$2" 2>&1 &
  SERVER_PID=$!
}

# Waits until server $1 (pid $2, output in $3) is ready, at most $4 seconds
# (30); dies if it exits or does not get ready in time.
server_wait() {
  local name="$1" pid="$2" log="$3" limit="${4:-30}"
  local deadline=$((SECONDS + limit))
  until server_ready "$name"; do
    kill -0 "$pid" 2>/dev/null || die "$name exited at start (see $log)"
    [ "$SECONDS" -lt "$deadline" ] || die "$name did not get ready within ${limit}s (see $log)"
    sleep 0.2
  done
}

# The server scripts, each by name: they define <name>_install (not placement),
# <name>_ready and <name>_run (and nats_setup), and the variables those read.
# (placement and sentry have no install step: install-dapr.sh builds them.)
# shellcheck source=servers/ferretdb.sh
source "$ROOT_DIR/deploy/scripts/servers/ferretdb.sh"
# shellcheck source=servers/jaeger.sh
source "$ROOT_DIR/deploy/scripts/servers/jaeger.sh"
# shellcheck source=servers/kafka.sh
source "$ROOT_DIR/deploy/scripts/servers/kafka.sh"
# shellcheck source=servers/mailbox.sh
source "$ROOT_DIR/deploy/scripts/servers/mailbox.sh"
# shellcheck source=servers/mosquitto.sh
source "$ROOT_DIR/deploy/scripts/servers/mosquitto.sh"
# shellcheck source=servers/nats.sh
source "$ROOT_DIR/deploy/scripts/servers/nats.sh"
# shellcheck source=servers/placement.sh
source "$ROOT_DIR/deploy/scripts/servers/placement.sh"
# shellcheck source=servers/postgres.sh
source "$ROOT_DIR/deploy/scripts/servers/postgres.sh"
# shellcheck source=servers/prometheus.sh
source "$ROOT_DIR/deploy/scripts/servers/prometheus.sh"
# shellcheck source=servers/rabbitmq.sh
source "$ROOT_DIR/deploy/scripts/servers/rabbitmq.sh"
# shellcheck source=servers/redis.sh
source "$ROOT_DIR/deploy/scripts/servers/redis.sh"
# shellcheck source=servers/sentry.sh
source "$ROOT_DIR/deploy/scripts/servers/sentry.sh"
