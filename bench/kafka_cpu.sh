#!/usr/bin/env bash
# The instance's CPU per inbound event in Kafka mode, alone (no other workload): 100,000
# simulated events published to fresh topics, then one instance (pinned to core 0) processes
# them until the group's lag is 0. For A/B runs of the Kafka path (docs/benchmarks.md):
#   bench/kafka_cpu.sh                      # this tree's release build
#   BIN=/tmp/base/build/release/app/bounceback bench/kafka_cpu.sh   # another build
#   PERF=1 bench/kafka_cpu.sh               # with a perf profile in $work/perf.data (kept)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd); cd "$root"
bin=${BIN:-build/release/app/bounceback}
events=${EVENTS:-100000}
work=$(mktemp -d /tmp/bounceback-kafka-cpu.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${PERF:-}" ] || rm -rf "$work"' EXIT
brokers=$(scripts/kafka-broker.sh start | tail -1)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
stamp=cpu$(date +%s)
cat > "$work/cfg.yaml" <<YAML
listen: 127.0.0.1:$port
data_dir: $work/data
future_tolerance: P3650D  # the simulated history runs on past today
calendars: { always: { time_zone: UTC, hours: all } }
policies:
  - { id: vip, match: { segment: [vip] }, calendar: always, acknowledge: P30D, resolve: P60D, bounce_back: P90D }
  - { id: standard, calendar: always, acknowledge: P30D, resolve: P60D, bounce_back: P90D }
kafka: { brokers: "$brokers", inbound_topic: $stamp.in, events_topic: $stamp.ev, deadletter_topic: $stamp.dead, group: $stamp, instance_id: i1 }
YAML
"$bin" simulate --events "$events" --seed 9 --start "$(date -u -d '-60 days' +%Y-%m-%dT%H:%M:%SZ)" > "$work/in.jsonl"
ready() { for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return; sleep 0.2; done; echo "not ready" >&2; exit 1; }
"$bin" serve --config "$work/cfg.yaml" > "$work/log" 2>&1 & s=$!; ready; kill -TERM $s; wait $s || true  # the topics
"$bin" publish --kafka "$brokers" --topic "$stamp.in" --input "$work/in.jsonl" 2>/dev/null
t0=$(date +%s.%N)
taskset -c 0 "$bin" serve --config "$work/cfg.yaml" >> "$work/log" 2>&1 & s=$!
[ -z "${PERF:-}" ] || (perf record -F 1999 -g -o "$work/perf.data" -p $s 2>/dev/null &)
until "$bin" lag --kafka "$brokers" --kafka-group "$stamp" --topic "$stamp.in" 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d["lag"] == 0 else 1)'; do sleep 0.5; done
t1=$(date +%s.%N)
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$s/stat")
kill -TERM $s; wait $s || true
python3 -c "print(f'{$events / ($t1 - $t0):,.0f} events/s; instance CPU {$cpu * 1e6 / $events:.1f} us per event')"
[ -z "${PERF:-}" ] || echo "profile: $work/perf.data"
