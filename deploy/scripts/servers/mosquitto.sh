# Mosquitto (MQTT) on 127.0.0.1:${MOSQUITTO_PORT:-1883}, from the distribution's
# packages. Sourced by lib.sh, whose server_install, server_ready and
# server_run call mosquitto_install, mosquitto_ready and mosquitto_run.

MOSQUITTO_PORT="${MOSQUITTO_PORT:-1883}"

mosquitto_install() {
  install_without_starting /usr/sbin/mosquitto mosquitto # in sbin: not on every user's PATH
}

mosquitto_ready() {
  (exec 3<>"/dev/tcp/127.0.0.1/$MOSQUITTO_PORT") 2>/dev/null
}

# In the foreground, so that whoever started it stops it. Sessions and queued
# messages survive restarts (persistence in the data directory); offline
# persistent sessions keep up to 100000 QoS 1 messages (the default is 1000).
# Saved every 10s too, not only at a clean exit, so a SIGKILL loses little.
# `user` is whoever runs it: as root, mosquitto would otherwise switch to the
# mosquitto user, who may not reach the data directory.
mosquitto_run() {
  local dir="${MOSQUITTO_DATA_DIR:-$CACHE_DIR/mosquitto-$MOSQUITTO_PORT}"
  mkdir -p "$dir"
  cat >"$dir/mosquitto.conf" <<CONF
listener $MOSQUITTO_PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $dir/
autosave_interval 10
max_queued_messages 100000
user $(id -un)
log_dest stdout
CONF
  exec /usr/sbin/mosquitto -c "$dir/mosquitto.conf"
}
