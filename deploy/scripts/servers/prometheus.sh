# Prometheus on 127.0.0.1:${PROMETHEUS_PORT:-9090}, from the distribution's
# package, scraping every service and sidecar with the recording and alert
# rules of deploy/observability/prometheus/rules/. Its configuration is the
# one run-template.mjs writes beside the run's dapr.yaml (PROMETHEUS_CONFIG),
# since the ports it scrapes move with the run's port offset.
# Sourced by lib.sh, whose server_install, server_ready and server_run call
# prometheus_install, prometheus_ready and prometheus_run.

PROMETHEUS_PORT="${PROMETHEUS_PORT:-9090}"

prometheus_install() {
  need_package curl curl
  install_without_starting prometheus prometheus
  have promtool || die "promtool is missing (it comes with Debian's prometheus package)"
}

prometheus_ready() {
  curl -fsS --max-time 2 "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" >/dev/null 2>&1
}

# In the foreground, so that whoever started it stops it. Samples are kept
# for a day under the data directory.
prometheus_run() {
  local dir="${PROMETHEUS_DATA_DIR:-$CACHE_DIR/prometheus-$PROMETHEUS_PORT}"
  local config="${PROMETHEUS_CONFIG:-$ROOT_DIR/.dapr/run/prometheus.yml}"
  [ -f "$config" ] || die "no Prometheus configuration at $config (run-template.mjs writes it)"
  mkdir -p "$dir"
  exec prometheus --config.file="$config" --storage.tsdb.path="$dir" --storage.tsdb.retention.time=1d \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --log.level=warn
}
