#!/usr/bin/env bash
# Writes what docker-compose.yml needs that must not be committed: the root
# and issuer certificates of its sentry (in .dapr/compose/sentry/, mounted into
# sentry and placement; development only) and .dapr/compose/env, to source in
# the shell that runs compose: DAPR_TRUST_ANCHORS (that root, which every
# sidecar trusts), and the DAPR_API_TOKEN and APP_API_TOKEN every sidecar and
# app is locked with. It keeps what exists (delete .dapr/compose/ for new ones).
#   bash deploy/docker/compose-env.sh && set -a && . .dapr/compose/env && set +a
#   docker compose up --build
# The certificates are made by sentry itself (the one install-dapr.sh builds;
# servers/sentry.sh, sentry_make_credentials).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

credentials="$ROOT_DIR/.dapr/compose/sentry"
if ! sentry_has_credentials "$credentials"; then
  [ -x "$DAPR_HOME/bin/sentry" ] || bash "$ROOT_DIR/deploy/scripts/install-dapr.sh"
  sentry_make_credentials "$credentials"
  # The containers run as Dapr's non-root user.
  chmod 755 "$credentials" && chmod 644 "$credentials"/*
  say "made sentry's root and issuer certificates in .dapr/compose/sentry/"
fi

tls="$ROOT_DIR/.dapr/compose/mailbox-tls"
if [ ! -s "$tls/cert.pem" ]; then
  need_package openssl openssl
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=mailbox -addext subjectAltName=DNS:mailbox \
    -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null || die "openssl could not make the mailbox's certificate"
  # The mail catcher runs as the images' non-root user (1000).
  chmod 755 "$tls" && chmod 644 "$tls"/*
  say "made the mail catcher's certificate in .dapr/compose/mailbox-tls/"
fi
# Where the mail catcher writes each message (as an .eml file).
mkdir -p "$ROOT_DIR/.dapr/compose/mailbox" && chmod 1777 "$ROOT_DIR/.dapr/compose/mailbox"

env_file="$ROOT_DIR/.dapr/compose/env"
if [ ! -s "$env_file" ]; then
  (umask 077 && cat >"$env_file" <<ENV
# Written by deploy/docker/compose-env.sh for docker-compose.yml: development only.
DAPR_API_TOKEN=$(node -e 'console.log(crypto.randomUUID())')
APP_API_TOKEN=$(node -e 'console.log(crypto.randomUUID())')
DAPR_TRUST_ANCHORS='$(cat "$credentials/ca.crt")'
ENV
  )
  say "wrote .dapr/compose/env (tokens and trust anchors for docker compose)"
fi
