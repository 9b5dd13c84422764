# Apache Kafka on 127.0.0.1:${KAFKA_PORT:-9092} in KRaft mode (one node, broker
# and controller, the controller on the next port), from the Maven artifacts
# that deploy/kafka/pom.xml names, run by the machine's Java.
# Sourced by lib.sh, whose server_install, server_ready and server_run call
# kafka_install, kafka_ready and kafka_run.

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT_DIR/deploy/kafka/pom.xml")"
KAFKA_LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"

# The marker holds the pom's checksum and is written last, so an interrupted
# copy or an edited pom means copying again.
kafka_install() {
  need_package java default-jre-headless
  need_package mvn maven
  local pom="$ROOT_DIR/deploy/kafka/pom.xml" sum
  sum="$(sha256sum "$pom" | cut -d' ' -f1)"
  [ "$(cat "$KAFKA_LIBS/.complete" 2>/dev/null)" = "$sum" ] && return 0
  say "fetching Kafka $KAFKA_VERSION and its dependencies (Maven)"
  rm -rf "$KAFKA_LIBS"
  # Maven -q still prints colour codes, so its output is kept for failures.
  make_cache_dir
  local log="$CACHE_DIR/kafka-maven.log"
  if ! mvn -q -B -f "$pom" dependency:copy-dependencies -DincludeScope=runtime \
    -DoutputDirectory="$KAFKA_LIBS" >"$log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -m1 -e ERROR -e Error >&2 || true
    die "Maven could not fetch Kafka $KAFKA_VERSION (all its output: $log)"
  fi
  printf '%s\n' "$sum" >"$KAFKA_LIBS/.complete"
}

# Asks for the broker's API versions (a 14-byte request, correlation id 1)
# and checks the reply: the port can accept a connection a moment before the
# broker answers requests.
kafka_ready() {
  local reply
  reply="$( (exec 3<>"/dev/tcp/127.0.0.1/$KAFKA_PORT" \
    && printf '\0\0\0\n\0\22\0\0\0\0\0\1\377\377' >&3 \
    && timeout 1 head -c 8 <&3 | od -An -tx1 | tr -d ' \n') 2>/dev/null || true)"
  [ "${reply:8}" = 00000001 ]
}

# In the foreground, so that whoever started it stops it. A data directory
# not formatted yet (no meta.properties) is formatted first; data survives
# restarts. One partition per internal topic keeps the first consumer group
# from waiting on fifty.
kafka_run() {
  local dir="${KAFKA_DATA_DIR:-$CACHE_DIR/kafka-data-$KAFKA_PORT}"
  local controller_port=$((KAFKA_PORT + 1))
  [ -f "$KAFKA_LIBS/.complete" ] || die "Kafka is not installed: run deploy/scripts/provision.sh with PUBSUB=kafka"
  mkdir -p "$dir/logs"
  cat >"$dir/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/logs
auto.create.topics.enable=true
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
group.initial.rebalance.delay.ms=0
PROPS
  local java_opts=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true
    -Dlog4j.configuration="file:$ROOT_DIR/deploy/kafka/log4j.properties" -cp "$KAFKA_LIBS/*")
  if [ ! -f "$dir/logs/meta.properties" ]; then
    java "${java_opts[@]}" kafka.tools.StorageTool format --cluster-id ZGFwci1sb2dpc3RpY3MtMQ \
      --config "$dir/server.properties" >/dev/null || die "could not format $dir/logs for Kafka"
  fi
  exec java "${java_opts[@]}" kafka.Kafka "$dir/server.properties"
}
