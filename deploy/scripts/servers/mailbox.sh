# The development mailbox on 127.0.0.1:${MAILBOX_PORT:-1025}: an SMTP server
# (deploy/scripts/mailbox.mjs, on the smtp-server npm package) that the email
# binding sends to; messages are kept in .dapr/mailbox/ (MAILBOX_DIR) as .eml files.
# Sourced by lib.sh, whose server_install, server_ready and server_run call
# mailbox_install, mailbox_ready and mailbox_run.

MAILBOX_PORT="${MAILBOX_PORT:-1025}"

mailbox_install() {
  : # an npm dependency: npm ci installs it
}

mailbox_ready() {
  (exec 3<>"/dev/tcp/127.0.0.1/$MAILBOX_PORT") 2>/dev/null
}

mailbox_run() {
  exec node "$ROOT_DIR/deploy/scripts/mailbox.mjs" --port "$MAILBOX_PORT" --dir "${MAILBOX_DIR:-$ROOT_DIR/.dapr/mailbox}"
}
