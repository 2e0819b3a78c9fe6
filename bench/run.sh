#!/usr/bin/env bash
# The benchmark harness: builds Release, starts what each workload needs (the service, the real
# Kafka broker), runs every workload with its reference in the same run, and writes
# bench/results/latest.json and the table in docs/benchmarks.md.
#
#   bench/run.sh                 # full sizes (1M Kafka events, 1M open complaints, ...)
#   BENCH_SCALE=quick bench/run.sh   # a tenth of that, for a first look
#   BENCH_STEPS="ingest query" bench/run.sh   # some workloads only (query needs ingest's data;
#                                # restart reuses replay's 10M-event directory when both run);
#                                # docs/benchmarks.md is updated only by a run of every step
#
# Server and load generator are pinned to different cores (taskset) where there are two.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scale=${BENCH_SCALE:-full}
if [ "$scale" = quick ]; then div=10; else div=1; fi
kafka_events=$((1000000 / div))
kafka_max_batch=${BENCH_KAFKA_MAX_BATCH:-10000}  # records per transaction (the default)
memory_complaints=$((1000000 / div))
# 10M as the issue asks: `process` writes the set-up at ~9,000 events/s here (~20 min).
# BENCH_REPLAY_DATA=DIR reuses a data directory an earlier run's set-up made (same seed and size).
replay_events=$((10000000 / div))
ingest_events=$((400000 / div))
seconds=${BENCH_SECONDS:-10}
all_steps="ingest query replay restart memory kafka"
steps=${BENCH_STEPS:-$all_steps}
want() { [[ " $steps " == *" $1 "* ]]; }
if want query && ! want ingest; then echo "the query step reads the ingest step's data" >&2; exit 2; fi

scripts/install-deps.sh >/dev/null
need=()
command -v kcat >/dev/null || need+=(kcat)
command -v taskset >/dev/null || need+=(util-linux)
if ((${#need[@]})); then
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
cmake --preset release >/dev/null && cmake --build --preset release >/dev/null
# The commit the binaries were built from (the report runs half an hour later, and work goes on).
BENCH_COMMIT=$(git rev-parse --short HEAD)
git diff --quiet HEAD -- . ':!bench/results' ':!docs/benchmarks.md' || BENCH_COMMIT="$BENCH_COMMIT with uncommitted changes"
export BENCH_COMMIT
bin=build/release/app/bounceback
bench=build/release/bench
work=$(mktemp -d /tmp/bounceback-bench.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; scripts/kafka-broker.sh stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p bench/results
server_cpu=(taskset -c 0); load_cpu=(taskset -c 1)
[ "$(nproc)" -ge 2 ] || { server_cpu=(); load_cpu=(); }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 1 1200); do curl -fs "http://127.0.0.1:$1/readyz" >/dev/null && return; sleep 0.1; done; echo "not ready" >&2; exit 1; }
rss_kib() { awk '/VmRSS/{print $2}' "/proc/$1/status"; }
secret="whsec_$(printf 'bench-helpdesk-secret-0123456789' | base64)"
config() {  # config FILE PORT DATA: long SLAs so no deadline fires during a run
  cat > "$1" <<YAML
listen: 127.0.0.1:$2
data_dir: $3
future_tolerance: P3650D  # the simulated history runs on past today
storage: { synchronous: ${BENCH_SYNCHRONOUS:-full} }
http: { workers: ${BENCH_HTTP_WORKERS:-64}, io_threads: ${BENCH_HTTP_IO_THREADS:-0} }
webhook_sources: { helpdesk: { secret: "$secret" } }
tokens: { "bench-manager": manager }
calendars: { always: { time_zone: UTC, hours: all } }
policies:
  - { id: vip, match: { segment: [vip] }, calendar: always, acknowledge: P30D, resolve: P60D, bounce_back: P90D }
  - { id: standard, calendar: always, acknowledge: P30D, resolve: P60D, bounce_back: P90D }
YAML
}
results="$work/results.json"; echo '{}' > "$results"
put() { python3 - "$results" "$1" "$2" <<'PY'
import json, sys
path, key, value = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
data = json.load(open(path)); data[key] = value; json.dump(data, open(path, "w"), indent=2)
PY
}

if want ingest; then
echo "== embedded webhook ingest ($ingest_events events) vs no-op route"
port=$(free_port); config "$work/ingest.yaml" "$port" "$work/ingest"
"${server_cpu[@]}" "$bin" serve --config "$work/ingest.yaml" > "$work/ingest.log" 2>&1 &
server=$!
wait_ready "$port"
"$bin" simulate --events "$ingest_events" --seed 42 --start "$(date -u -d '-30 days' +%Y-%m-%dT%H:%M:%SZ)" > "$work/ingest.jsonl"
# Webhook senders are many helpdesks: 64 concurrent deliveries, each waiting for its durable 202.
ingest_connections=${BENCH_INGEST_CONNECTIONS:-64}
noop=$("${load_cpu[@]}" "$bench/bench_http" --port "$port" --path /healthz --connections "$ingest_connections" --seconds "$seconds")
ingest=$("${load_cpu[@]}" "$bench/bench_http" --port "$port" --webhook helpdesk --secret "$secret" --input "$work/ingest.jsonl" --connections "$ingest_connections" --seconds "$seconds")
put webhook_noop "$noop"; put webhook_ingest "$ingest"
kill -TERM $server; wait $server || true
fi

if want query; then
# The queries run on a quiet server holding the ingest step's data: restarted, so the read
# side's catch-up and checkpoint after the ingest burst are not measured as query latency.
"${server_cpu[@]}" "$bin" serve --config "$work/ingest.yaml" >> "$work/ingest.log" 2>&1 &
server=$!
wait_ready "$port"; sleep 2

echo "== query API at a fixed rate vs no-op route"
curl -fs -H 'Authorization: Bearer bench-manager' "http://127.0.0.1:$port/v1/sla/at-risk?limit=500" \
  | python3 -c 'import json,sys; [print(i["complaint_id"]) for i in json.load(sys.stdin)["items"]]' > "$work/ids.txt" || true
[ -s "$work/ids.txt" ] || grep -o '"complaint_id":"[^"]*"' "$work/ingest.jsonl" | head -500 | cut -d'"' -f4 > "$work/ids.txt"
rate=${BENCH_QUERY_RATE:-20000}
q_noop=$("${load_cpu[@]}" "$bench/bench_http" --port "$port" --path /healthz --connections 32 --seconds "$seconds" --rate "$rate")
# A dashboard polls the summary with Accept-Encoding: gzip, as browsers and HTTP libraries send;
# the same without it is reported too.
q_summary=$("${load_cpu[@]}" "$bench/bench_http" --port "$port" --path /v1/sla/summary --token bench-manager --header 'Accept-Encoding: gzip' --connections 32 --seconds "$seconds" --rate "$rate")
q_summary_identity=$("${load_cpu[@]}" "$bench/bench_http" --port "$port" --path /v1/sla/summary --token bench-manager --connections 32 --seconds "$seconds" --rate "$rate")
q_complaint=$("${load_cpu[@]}" "$bench/bench_http" --port "$port" --path '/v1/complaints/{id}' --ids "$work/ids.txt" --token bench-manager --connections 32 --seconds "$seconds" --rate "$rate")
put query_noop "$q_noop"; put query_sla_summary "$q_summary"; put query_sla_summary_identity "$q_summary_identity"
put query_complaint "$q_complaint"
kill -TERM $server; wait $server || true
fi

if want replay; then
echo "== replay of $replay_events inbound events' domain events into all projections vs decode only"
replay_data=${BENCH_REPLAY_DATA:-}
if [ -z "$replay_data" ]; then
  replay_data="$work/replay"
  config "$work/replay.yaml" "$(free_port)" "$replay_data"
  "$bin" simulate --events "$replay_events" --seed 7 > "$work/replay.jsonl"
  "$bin" process --config "$work/replay.yaml" --data "$replay_data" --synchronous normal --input "$work/replay.jsonl" > /dev/null 2>&1
  rm -f "$work/replay.jsonl"
fi
# Not pinned: one thread reads pages while another decodes and folds (handlers/page_decoder).
put replay "$("$bench/bench_replay" --data "$replay_data" --repeat 3)"

fi

if want restart; then
echo "== embedded restart at two sizes of history: time to ready, its command-side part, RSS"
# Each directory is served once (the read side folds the log and checkpoints at shutdown), then
# the second start is measured. Times come from the service's own log lines.
restart_at() {  # restart_at NAME DATA: prints the JSON of one measured start
  local cfg="$work/restart-$1.yaml" port; port=$(free_port); config "$cfg" "$port" "$2"
  "$bin" serve --config "$cfg" > /dev/null 2>&1 & local s=$!; wait_ready "$port"; kill -TERM $s; wait $s || true
  local t0; t0=$(date +%s.%N)
  "${server_cpu[@]}" "$bin" serve --config "$cfg" > "$work/restart-$1.log" 2>&1 & s=$!; wait_ready "$port"
  local t1; t1=$(date +%s.%N); local rss; rss=$(rss_kib $s)
  kill -TERM $s; wait $s || true
  python3 - "$work/restart-$1.log" "$t0" "$t1" "$rss" "$2/events.db" <<'PY'
import datetime, json, sqlite3, sys
log, t0, t1, rss, db = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def at(line): return datetime.datetime.fromisoformat(line.split(" ", 1)[0].replace("Z", "+00:00")).timestamp()
lines = open(log).read().splitlines()
listening = next(at(l) for l in lines if " listening on " in l)
command = next(at(l) for l in lines if " command side " in l)
events = sqlite3.connect(db).execute("SELECT max(position) FROM events").fetchone()[0]
print(json.dumps({"events": events, "ready_s": t1 - t0, "command_side_s": command - listening,
                  "rss_kib": rss, "from_summaries": any("from the summary index" in l for l in lines)}))
PY
}
small_events=$((1000000 / div))
config "$work/restart-set-up.yaml" "$(free_port)" "$work/restart-small"
"$bin" simulate --events "$small_events" --seed 11 > "$work/restart.jsonl"
"$bin" process --config "$work/restart-set-up.yaml" --data "$work/restart-small" --synchronous normal --input "$work/restart.jsonl" > /dev/null 2>&1
rm -f "$work/restart.jsonl"
large_data=${replay_data:-}
if [ -z "$large_data" ]; then
  large_data="$work/restart-large"
  "$bin" simulate --events "$replay_events" --seed 7 > "$work/restart.jsonl"
  "$bin" process --config "$work/restart-set-up.yaml" --data "$large_data" --synchronous normal --input "$work/restart.jsonl" > /dev/null 2>&1
  rm -f "$work/restart.jsonl"
fi
put restart "{\"small\": $(restart_at small "$work/restart-small"), \"large\": $(restart_at large "$large_data")}"

fi

if want memory; then
echo "== memory: $memory_complaints open complaints with live deadlines"
python3 - "$memory_complaints" > "$work/open.jsonl" <<'PY'
import json, sys
n = int(sys.argv[1])
for i in range(n):
    print(json.dumps({"specversion": "1.0", "id": f"m-{i}", "source": "bench", "type": "complaint.filed",
                      "time": "2026-11-01T10:00:00Z",
                      "data": {"complaint_id": f"m-{i}", "customer": {"id": f"mc-{i % (n // 3 + 1)}", "segment": "standard", "value": 100},
                               "severity": "medium", "channel": "email", "category": "billing", "team": "emea"}}))
PY
config "$work/mem.yaml" "$(free_port)" "$work/mem"
"$bin" process --config "$work/mem.yaml" --data "$work/mem" --synchronous normal --input "$work/open.jsonl" > /dev/null 2>&1
port=$(free_port); config "$work/empty.yaml" "$port" "$work/empty"
"$bin" serve --config "$work/empty.yaml" > /dev/null 2>&1 & s=$!; wait_ready "$port"; empty_rss=$(rss_kib $s); kill -TERM $s; wait $s || true
port=$(free_port); sed -i "s/^listen: .*/listen: 127.0.0.1:$port/" "$work/mem.yaml"
"$bin" serve --config "$work/mem.yaml" > /dev/null 2>&1 & s=$!; wait_ready "$port"; sleep 2; full_rss=$(rss_kib $s)
open_count=$(curl -fs -H 'Authorization: Bearer bench-manager' "http://127.0.0.1:$port/metrics" | awk '/^bounceback_complaints/{n+=$2} END{print n+0}')
kill -TERM $s; wait $s || true
put memory "{\"open_complaints\": $open_count, \"rss_empty_kib\": $empty_rss, \"rss_full_kib\": $full_rss, \"bytes_per_open_complaint\": $(( (full_rss - empty_rss) * 1024 / memory_complaints ))}"

fi

if want kafka; then
echo "== Kafka ingest, end to end with exactly-once ($kafka_events events, 6 partitions) vs raw consume"
brokers=$(scripts/kafka-broker.sh start | tail -1)
"$bin" simulate --events "$kafka_events" --seed 9 --start "$(date -u -d '-60 days' +%Y-%m-%dT%H:%M:%SZ)" > "$work/kafka.jsonl"
port=$(free_port); config "$work/kafka.yaml" "$port" "$work/kafka"
cat >> "$work/kafka.yaml" <<YAML
kafka: { brokers: "$brokers", inbound_topic: bench.inbound, events_topic: bench.events, deadletter_topic: bench.dead, group: bench, instance_id: bench-1, max_batch: $kafka_max_batch }
YAML
"$bin" serve --config "$work/kafka.yaml" > "$work/kafka.log" 2>&1 & s=$!; wait_ready "$port"; kill -TERM $s; wait $s || true  # creates the topics
t0=$(date +%s.%N); "$bin" publish --kafka "$brokers" --topic bench.inbound --input "$work/kafka.jsonl" 2>/dev/null; t1=$(date +%s.%N)
raw_n=$(kcat -C -b "$brokers" -t bench.inbound -e -o beginning -q -f '%s\n' | wc -l); t2=$(date +%s.%N)
# Kafka's own ConsumerPerformance on the same topic (its fetch rate: without the JVM start and
# the group join); the ratio is taken against the faster of the two references.
perf_csv=$(scripts/kafka-broker.sh consumer-perf bench.inbound "$kafka_events" 2>/dev/null | tail -1) || perf_csv=""
# CPU seconds (user + system) a process has used so far: where the time per record goes.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"; }
broker_pid=$(pgrep -f 'kafka\.Kafka' | head -1)
broker_cpu0=$(cpu_s "$broker_pid")
"${server_cpu[@]}" "$bin" serve --config "$work/kafka.yaml" >> "$work/kafka.log" 2>&1 & s=$!
t3=$(date +%s.%N)
ours_rate=$("${load_cpu[@]}" python3 bench/lag_rate.py "$bin" "$brokers" bench bench.inbound $s)
t4=$(date +%s.%N)
instance_cpu=$(cpu_s $s); broker_cpu=$(python3 -c "print($(cpu_s "$broker_pid") - $broker_cpu0)")
kill -TERM $s; wait $s || true

echo "== the same work as a Kafka Streams application (exactly_once_v2, RocksDB stores), same topic"
# bench/streams/StreamsPeer.java: decode, keyed state (ids seen, complaint versions), produce, on
# the same core as the instance above; both are compared by their rate once warm (lag_rate.py).
streams_cp=$(bench/streams/build.sh)
"${server_cpu[@]}" java -Xms512m -Xmx1g -cp "$streams_cp" StreamsPeer "$brokers" bench.inbound bench-streams "$work/streams" > "$work/streams.log" 2>&1 & j=$!
streams_rate=$("${load_cpu[@]}" python3 bench/lag_rate.py "$bin" "$brokers" bench-streams bench.inbound $j)
streams_cpu=$(cpu_s $j)
kill -TERM $j; wait $j || true
streams_out=$(kcat -C -b "$brokers" -t bench-streams.events -e -q -X isolation.level=read_committed -f '\n' | wc -l)
kafka_json="$(python3 -c "
import json
n=$kafka_events; raw=$raw_n
pub=$t1-$t0; rawt=$t2-$t1; eos=$t4-$t3
perf='$perf_csv'.split(',')
cp = {'consumed': int(perf[4]), 'per_s': float(perf[5]), 'fetch_per_s': float(perf[9])} if len(perf) >= 10 else None
best = max(raw/rawt, cp['fetch_per_s'] if cp else 0)
ours = json.loads('$ours_rate'); streams = json.loads('$streams_rate')
streams.update({'cpu_us_per_event': $streams_cpu*1e6/n, 'produced': $streams_out})
print(json.dumps({'events': n, 'raw_consumed': raw, 'publish_per_s': n/pub, 'kcat_raw_consume_per_s': raw/rawt, 'consumer_performance': cp, 'eos_end_to_end_per_s': n/eos, 'ratio': (n/eos)/best, 'max_batch': $kafka_max_batch, 'instance_cpu_us_per_event': $instance_cpu*1e6/n, 'broker_cpu_us_per_event': $broker_cpu*1e6/n, 'warm': ours, 'streams': streams, 'streams_ratio': ours['warm_per_s'] / streams['warm_per_s']}))")"
put kafka "$kafka_json"

echo "== Kafka state at two sizes of history: RSS serving, restart to ready and to a current read side"
# The instance above left kafka_events inbound events of history; then three times as many more
# (other ids) make the second size. At each size the instance is started on its data directory,
# caught up, measured serving, stopped, and the next start is measured.
read_side_at() { curl -fs -H 'Authorization: Bearer bench-manager' "http://127.0.0.1:$1/v1/sla/summary" | python3 -c 'import json,sys; print(json.load(sys.stdin)["position"])'; }
kafka_state_at() {  # prints the JSON of one size
  "$bin" serve --config "$work/kafka.yaml" >> "$work/kafka.log" 2>&1 & local s=$!; wait_ready "$port"
  until "$bin" lag --kafka "$brokers" --kafka-group bench --topic bench.inbound 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["lag"] == 0 else 1)'; do sleep 0.5; done
  # The read side follows asynchronously: caught up once its position stops moving.
  local at=-1 now; now=$(read_side_at "$port"); while [ "$now" != "$at" ]; do at=$now; sleep 3; now=$(read_side_at "$port"); done
  local serving_rss; serving_rss=$(rss_kib $s)
  # Again once idle past the allocator's release (every 10 s): what a backlog left behind.
  sleep 15; local settled_rss; settled_rss=$(rss_kib $s)
  kill -TERM $s; wait $s || true
  local t0 t1 t2; t0=$(date +%s.%N)
  "${server_cpu[@]}" "$bin" serve --config "$work/kafka.yaml" >> "$work/kafka.log" 2>&1 & s=$!; wait_ready "$port"; t1=$(date +%s.%N)
  until [ "$(read_side_at "$port")" -ge "$at" ]; do sleep 0.05; done; t2=$(date +%s.%N)
  local restarted_rss; restarted_rss=$(rss_kib $s)
  # A second instance joins with an empty data directory: until it is ready it copies the
  # partitions it is given and the whole topic for the read side.
  local port2; port2=$(free_port); rm -rf "$work/kafka-2"; config "$work/kafka-2.yaml" "$port2" "$work/kafka-2"
  sed 's/instance_id: bench-1/instance_id: bench-2/' <(grep '^kafka:' "$work/kafka.yaml") >> "$work/kafka-2.yaml"
  local j0 j1; j0=$(date +%s.%N)
  "${server_cpu[@]}" "$bin" serve --config "$work/kafka-2.yaml" >> "$work/kafka.log" 2>&1 & local s2=$!
  until curl -fs "http://127.0.0.1:$port2/readyz" >/dev/null; do kill -0 $s2 || exit 1; sleep 0.1; done; j1=$(date +%s.%N)
  local joined_rss; joined_rss=$(rss_kib $s2)
  kill -TERM $s2 $s; wait $s2 || true; wait $s || true
  local disk; disk=$(du -sk "$work/kafka/kafka" | cut -f1)
  echo "{\"events\": $at, \"rss_serving_kib\": $serving_rss, \"rss_idle_kib\": $settled_rss, \"ready_s\": $(python3 -c "print($t1 - $t0)"), \"read_side_current_s\": $(python3 -c "print($t2 - $t0)"), \"rss_restarted_kib\": $restarted_rss, \"state_dir_kib\": $disk, \"join_ready_s\": $(python3 -c "print($j1 - $j0)"), \"rss_joined_kib\": $joined_rss}"
}
kafka_small=$(kafka_state_at)
"$bin" simulate --events $((3 * kafka_events)) --seed 10 --start "$(date -u -d '-50 days' +%Y-%m-%dT%H:%M:%SZ)" | sed 's/"sim-/"simb-/g; s/"cust-/"custb-/g' > "$work/kafka.jsonl"
"$bin" publish --kafka "$brokers" --topic bench.inbound --input "$work/kafka.jsonl" 2>/dev/null
rm -f "$work/kafka.jsonl"
kafka_large=$(kafka_state_at)
put kafka_state "{\"small\": $kafka_small, \"large\": $kafka_large}"
scripts/kafka-broker.sh stop >/dev/null

fi

python3 bench/report.py "$results" "$scale" > bench/results/latest.md
cp "$results" bench/results/latest.json
[ "$steps" = "$all_steps" ] && python3 bench/report.py "$results" "$scale" --update docs/benchmarks.md
cat bench/results/latest.md
