# PostgreSQL on 127.0.0.1:${POSTGRES_PORT:-5432}, from the distribution's
# packages, with its own cluster per port (not Debian's /var/lib/postgresql one).
# Sourced by lib.sh, whose server_install, server_ready and server_run call
# postgres_install, postgres_ready and postgres_run.
# For development only: trust authentication, no fsync.
# SERVER_LISTEN_ADDRESS: an address to listen on besides loopback (the test
# cluster's node, whose pods connect as they would to a managed database);
# clients from there log in as postgres with POSTGRES_PASSWORD.

POSTGRES_PORT="${POSTGRES_PORT:-5432}"

# The server's programs are not on PATH: /usr/lib/postgresql/<version>/bin.
postgres_bindir() {
  local dirs=(/usr/lib/postgresql/*/bin/postgres)
  [ -x "${dirs[-1]}" ] || return 1
  printf '%s\n' "${dirs[@]%/postgres}" | sort -V | tail -1
}

postgres_install() {
  postgres_bindir >/dev/null \
    || install_without_starting pg_ctlcluster postgresql # postgresql-common, with the server
  postgres_bindir >/dev/null || die "no PostgreSQL server under /usr/lib/postgresql: install the package 'postgresql'"
  need_package pg_isready postgresql-client
}

postgres_ready() {
  pg_isready -q -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -d postgres -t 1 2>/dev/null
}

# In the foreground, so that whoever started it stops it. Data survives
# restarts (a cluster in the data directory, made by initdb when missing).
postgres_run() {
  local dir="${POSTGRES_DATA_DIR:-$CACHE_DIR/postgres-$POSTGRES_PORT}" bin as=()
  bin="$(postgres_bindir)" || die "PostgreSQL is not installed (run provision.sh)"
  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  cd "$dir" # not an inaccessible home directory as postgres' cwd
  chmod 700 "$dir"
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root. setpriv execs (no forking su), so the
    # pid stays the server's. The postgres user must also reach the directory
    # (under /root, say): allow it to pass through, not to list.
    chown postgres:postgres "$dir"
    local part up="" parts
    IFS=/ read -ra parts <<<"${dir#/}"
    unset 'parts[-1]'
    for part in "${parts[@]}"; do
      up="$up/$part"
      setpriv --reuid=postgres --regid=postgres --init-groups test -x "$up" && continue
      say "letting the postgres user pass through $up (chmod o+x) to reach $dir"
      chmod o+x "$up"
    done
    as=(setpriv --reuid=postgres --regid=postgres --init-groups env HOME="$dir")
  fi
  if [ ! -e "$dir/PG_VERSION" ]; then
    local password=()
    if [ -n "${SERVER_LISTEN_ADDRESS:-}" ]; then
      [ -n "${POSTGRES_PASSWORD:-}" ] || die "POSTGRES_PASSWORD is needed with SERVER_LISTEN_ADDRESS"
      printf '%s\n' "$POSTGRES_PASSWORD" >"$dir.pw" && chown postgres "$dir.pw" 2>/dev/null || true
      password=(--pwfile "$dir.pw")
    fi
    "${as[@]}" "$bin/initdb" -D "$dir" -U postgres --auth=trust "${password[@]}" -E UTF8 --no-locale --no-sync >/dev/null \
      || die "initdb failed in $dir"
    rm -f "$dir.pw"
    if [ -n "${SERVER_LISTEN_ADDRESS:-}" ]; then
      printf 'host all all 0.0.0.0/0 scram-sha-256\n' >>"$dir/pg_hba.conf"
    fi
  fi
  exec "${as[@]}" "$bin/postgres" -D "$dir" -p "$POSTGRES_PORT" -c listen_addresses="127.0.0.1${SERVER_LISTEN_ADDRESS:+,$SERVER_LISTEN_ADDRESS}" \
    -c unix_socket_directories="$dir" -c fsync=off -c synchronous_commit=on -c full_page_writes=off
}
