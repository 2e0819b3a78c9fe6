#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft, broker + controller in one process) on free 127.0.0.1
# ports, for tests and benchmarks. The broker's jars come from Maven Central through Maven and
# are cached under .cache/kafka (git-ignored). Java and Maven are installed from Debian if missing.
#
#   scripts/kafka-broker.sh start   # prints the bootstrap address; also in .cache/kafka-run/brokers
#   scripts/kafka-broker.sh stop
#   scripts/kafka-broker.sh restart # the stopped broker again, same data and ports (bounce tests)
#   scripts/kafka-broker.sh status
#   scripts/kafka-broker.sh consumer-perf TOPIC MESSAGES  # Kafka's own ConsumerPerformance tool
#
# Kafka 3.9.1: 4.x dropped protocol versions that Debian's librdkafka 2.0.2 needs for groups.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=3.9.1
cache="$root/.cache/kafka"
run="${KAFKA_RUN_DIR:-$root/.cache/kafka-run}"
lib="$cache/lib-$version"

need() {
  local missing=()
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  command -v mvn >/dev/null 2>&1 || missing+=(maven)
  if ((${#missing[@]})); then
    local sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

fetch() {
  # The jars include kafka-tools (ConsumerPerformance for bench/run.sh).
  "$root/scripts/maven-jars.sh" "$lib" org.apache.kafka:kafka_2.13:$version \
    org.apache.kafka:kafka-tools:$version org.slf4j:slf4j-reload4j:1.7.36 \
    ch.qos.reload4j:reload4j:1.2.25
}

jvm=(-Xms256m -Xmx768m -Dlog4j.configuration="file:$run/log4j.properties")
cp="$lib/*"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start() {
  need
  fetch
  if [ -f "$run/pid" ] && kill -0 "$(cat "$run/pid")" 2>/dev/null; then cat "$run/brokers"; return; fi
  rm -rf "$run"; mkdir -p "$run/data"
  local port controller
  port=$(free_port); controller=$(free_port)
  cat > "$run/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$run/data
num.partitions=6
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.segment.bytes=16777216
# A SIGKILLed producer's open transaction blocks read_committed readers until the coordinator
# aborts it: look for timed-out transactions every second, not every 10 s.
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
PROPS
  cat > "$run/log4j.properties" <<'LOG'
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
LOG
  sed -i "s|^log4j.appender.file=.*|&\nlog4j.appender.file.File=$run/kafka.log|" "$run/log4j.properties"
  local cluster
  cluster=$(java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid)
  java "${jvm[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$cluster" -c "$run/server.properties" >/dev/null
  launch "$port"
}

# Runs the formatted broker and waits until it answers.
launch() {
  local port=$1
  nohup java "${jvm[@]}" -cp "$cp" kafka.Kafka "$run/server.properties" >>"$run/stdout.log" 2>&1 &
  echo $! > "$run/pid"
  for _ in $(seq 1 120); do
    if [ "$(grep -c "started (kafka.server.KafkaRaftServer)" "$run/kafka.log" 2>/dev/null)" -gt "$(cat "$run/starts" 2>/dev/null || echo 0)" ]; then
      grep -c "started (kafka.server.KafkaRaftServer)" "$run/kafka.log" > "$run/starts"
      echo "127.0.0.1:$port" | tee "$run/brokers"
      return
    fi
    kill -0 "$(cat "$run/pid")" 2>/dev/null || { cat "$run/stdout.log" "$run/kafka.log" >&2 || true; exit 1; }
    sleep 0.5
  done
  echo "Kafka did not start within 60 s; see $run/kafka.log" >&2
  exit 1
}

# The same broker (data, ports) again after `stop`: what a broker bounce looks like to clients.
restart() {
  [ -f "$run/server.properties" ] || { echo "no broker was started" >&2; exit 1; }
  if [ -f "$run/pid" ] && kill -0 "$(cat "$run/pid")" 2>/dev/null; then cat "$run/brokers"; return; fi
  local port
  port=$(sed -n 's|^advertised.listeners=PLAINTEXT://127.0.0.1:||p' "$run/server.properties")
  launch "$port"
}

stop() {
  [ -f "$run/pid" ] || return 0
  local pid; pid=$(cat "$run/pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$run/pid"
}

# Kafka's ConsumerPerformance reading a topic from the start in a fresh group; prints its CSV
# line (fetch.nMsg.sec is the rate without the group join).
consumer_perf() {
  local topic=$1 messages=$2
  fetch
  java -Xms256m -Xmx1g -Dlog4j.configuration="file:$run/log4j.properties" -cp "$cp" \
    org.apache.kafka.tools.ConsumerPerformance --bootstrap-server "$(cat "$run/brokers")" \
    --topic "$topic" --messages "$messages" --group "perf-$$-$RANDOM" --timeout 60000 --hide-header
}

case "${1:-}" in
  start) start ;;
  consumer-perf) consumer_perf "$2" "$3" ;;
  stop) stop ;;
  restart) restart ;;
  status) [ -f "$run/pid" ] && kill -0 "$(cat "$run/pid")" 2>/dev/null && cat "$run/brokers" || { echo "not running"; exit 1; } ;;
  *) echo "usage: $0 start|stop|restart|status|consumer-perf TOPIC MESSAGES" >&2; exit 2 ;;
esac
