# A MongoDB-compatible server on 127.0.0.1:${FERRETDB_PORT:-27017} for the
# dashboard's read side: FerretDB (it speaks MongoDB's wire protocol) on its
# SQLite backend, built from its Go module once and cached like Dapr, since
# MongoDB is neither in Debian nor downloadable here. Point MONGODB_URL (in
# the secret store) at a real MongoDB instead and this server is not needed.
# Connect with maxPoolSize=1: FerretDB 1.24 reads a document and writes it
# back in separate steps, so two connections updating one document at once
# can lose one's change (seen with conditional replaces, and with the
# statistics' $inc, on its SQLite and its PostgreSQL backend); over one
# connection its commands run one after another. On SQLite no filter but
# {_id} alone is pushed down (any other query scans the collection; explain
# says filterPushdown: false); the PostgreSQL backend pushes equalities down.
# Sourced by lib.sh, whose server_install, server_ready and server_run call
# ferretdb_install, ferretdb_ready and ferretdb_run.

FERRETDB_PORT="${FERRETDB_PORT:-27017}"
# SERVER_LISTEN_ADDRESS: where to listen instead of loopback (the test
# cluster's node address, inside its network namespace that has no route off
# the machine). FerretDB on SQLite asks for no password: a MongoDB a
# deployment reaches over a network has its own users (MONGODB_URL names one).
FERRETDB_ADDRESS="${SERVER_LISTEN_ADDRESS:-127.0.0.1}"
FERRETDB_VERSION=v1.24.2
FERRETDB_BIN="$CACHE_DIR/ferretdb-$FERRETDB_VERSION/bin/ferretdb"

# Built from its Go module, with the version file FerretDB's own build writes
# (its binary refuses to start without one).
ferretdb_install() {
  [ -x "$FERRETDB_BIN" ] && return 0
  have go || die "Go is needed to build FerretDB (the dashboard's MongoDB-compatible server): install Go, or set MONGODB_URL to a MongoDB"
  go_module_build FerretDB github.com/FerretDB/FerretDB "$FERRETDB_VERSION" ./cmd/ferretdb "$FERRETDB_BIN" ferretdb_version_file
}
ferretdb_version_file() { echo "$FERRETDB_VERSION" >build/version/version.txt; }

ferretdb_ready() {
  { exec 3<>"/dev/tcp/$FERRETDB_ADDRESS/$FERRETDB_PORT"; } 2>/dev/null || return 1
  exec 3>&-
}

# In the foreground, so that whoever started it stops it. Data survives
# restarts (one SQLite file per database in the data directory).
ferretdb_run() {
  local dir="${FERRETDB_DATA_DIR:-$CACHE_DIR/ferretdb-$FERRETDB_PORT}"
  [ -x "$FERRETDB_BIN" ] || die "FerretDB is not built (run provision.sh)"
  mkdir -p "$dir"
  exec "$FERRETDB_BIN" --handler=sqlite --sqlite-url="file:$dir/" \
    --listen-addr="$FERRETDB_ADDRESS:$FERRETDB_PORT" --telemetry=disable --log-level=warn \
    --debug-addr=- --state-dir="$dir"
}
