"""Renders bench/run.sh's JSON as the Markdown table of docs/benchmarks.md: each workload, its
reference from the same run, the ratio and the target."""
import json
import os
import platform
import subprocess
import sys
import time

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def machine():
    cpu = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    commit = os.environ.get("BENCH_COMMIT") or subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    return f"{os.cpu_count()} cores, {cpu}, Linux {platform.release()}, commit {commit}"


def render(r, scale):
    rows = []
    def row(workload, measured, reference, ratio, target, ok):
        rows.append(f"| {workload} | {measured} | {reference} | {ratio} | {target} | {'met' if ok else '**not met**'} |")

    if "webhook_ingest" in r:
        w, n = r["webhook_ingest"], r["webhook_noop"]
        ratio = w["rps"] / n["rps"] if n["rps"] else 0
        row(f"embedded webhook ingest (signed, durable `202`, {w['connections']} connections)",
            f"{w['rps']:,.0f} req/s; p50/p99/p99.9 {w['p50_us']}/{w['p99_us']}/{w['p999_us']} µs",
            f"`/healthz` {n['rps']:,.0f} req/s", f"{ratio:.2f}", "≥ 20,000 req/s and ≥ 0.25×",
            w["rps"] >= 20000 and ratio >= 0.25)
    for key, name in (("query_sla_summary", "`/v1/sla/summary` (`Accept-Encoding: gzip`)"),
                      ("query_sla_summary_identity", "`/v1/sla/summary` (no `Accept-Encoding`)"),
                      ("query_complaint", "`/v1/complaints/{id}`")):
        if key in r:
            q, n = r[key], r["query_noop"]
            row(f"query API {name} at {q['target_rate']:,.0f} req/s (open loop)",
                f"{q['rps']:,.0f} req/s; p50/p99/p99.9 {q['p50_us']}/{q['p99_us']}/{q['p999_us']} µs; "
                f"{q.get('mean_body_bytes', 0):,} B bodies",
                f"`/healthz` p99 {n['p99_us']} µs" + (
                    " (the no-op route itself missed 5 ms: this run cannot show the route's own tail)"
                    if n["p99_us"] >= 5000 else ""),
                "—", "p99 < 5 ms", q["p99_us"] < 5000 and q["errors"] == 0)
    if "replay" in r:
        p = r["replay"]
        row(f"replay of {p['events']:,} events into all projections", f"{p['fold_events_per_s']:,.0f} events/s",
            f"decode only {p['decode_only_events_per_s']:,.0f} events/s", f"{p['ratio']:.2f}",
            "≥ 1,000,000 events/s and ≥ 0.5×", p["fold_events_per_s"] >= 1e6 and p["ratio"] >= 0.5)
    if "restart" in r:
        small, large = r["restart"]["small"], r["restart"]["large"]
        growth = large["ready_s"] / small["ready_s"] if small["ready_s"] else 0
        row(f"embedded restart to ready, {small['events']:,} → {large['events']:,} events of history",
            f"{small['ready_s']:.2f} s → {large['ready_s']:.2f} s (command side {small['command_side_s']:.3f} → "
            f"{large['command_side_s']:.3f} s); RSS {small['rss_kib']:,} → {large['rss_kib']:,} KiB",
            "the smaller history", f"{growth:.2f}", "≤ 1 s at both sizes",
            small["ready_s"] <= 1 and large["ready_s"] <= 1)
    if "memory" in r:
        m = r["memory"]
        row(f"memory, {m['open_complaints']:,} open complaints with live deadlines",
            f"{m['bytes_per_open_complaint']:,} bytes RSS each", f"empty service {m['rss_empty_kib']:,} KiB", "—",
            "≤ 1 KiB each", m["bytes_per_open_complaint"] <= 1024)
    if "kafka" in r:
        k = r["kafka"]
        reference = f"`kcat -C` {k['kcat_raw_consume_per_s']:,.0f} records/s"
        if k.get("consumer_performance"):
            reference += f"; ConsumerPerformance {k['consumer_performance']['fetch_per_s']:,.0f} records/s (fetch)"
        row(f"Kafka ingest, exactly-once end to end ({k['events']:,} events, 6 partitions, 1 instance)",
            f"{k['eos_end_to_end_per_s']:,.0f} events/s" + (
                f"; CPU per event: instance {k['instance_cpu_us_per_event']:.1f} µs, broker "
                f"{k['broker_cpu_us_per_event']:.1f} µs" if "broker_cpu_us_per_event" in k else ""),
            reference + " (ratio against the faster)",
            f"{k['ratio']:.2f}", "≥ 0.5×", k["ratio"] >= 0.5)
        if "streams" in k:
            w, st = k["warm"], k["streams"]
            row(f"Kafka exactly-once once warm, against a Kafka Streams application ({k['events']:,} events)",
                f"{w['warm_per_s']:,.0f} events/s (warm after {w['warm_after_s']:.1f} s); instance CPU "
                f"{k['instance_cpu_us_per_event']:.1f} µs per event, with its local state",
                f"Kafka Streams 3.9.1 `exactly_once_v2`, RocksDB stores with changelogs "
                f"(bench/streams): {st['warm_per_s']:,.0f} events/s (warm after {st['warm_after_s']:.1f} s), "
                f"CPU {st['cpu_us_per_event']:.1f} µs per event",
                f"{k['streams_ratio']:.2f}", "≥ 1.5×", k["streams_ratio"] >= 1.5)
    if "kafka_state" in r:
        small, large = r["kafka_state"]["small"], r["kafka_state"]["large"]
        added = max(1, large["events"] - small["events"])
        per_event = (large["rss_serving_kib"] - small["rss_serving_kib"]) * 1024 / added
        row(f"Kafka instance state, {small['events']:,} → {large['events']:,} events of history (1 instance, 6 partitions)",
            f"RSS serving {small['rss_serving_kib']:,} → {large['rss_serving_kib']:,} KiB "
            f"({per_event:,.0f} bytes per added event)" + (
                f", 15 s idle later {small['rss_idle_kib']:,} → {large['rss_idle_kib']:,} KiB"
                if "rss_idle_kib" in large else "") + f"; restart to ready {small['ready_s']:.2f} → "
            f"{large['ready_s']:.2f} s, to a current read side {small['read_side_current_s']:.2f} → "
            f"{large['read_side_current_s']:.2f} s; data directory {small['state_dir_kib']:,} → "
            f"{large['state_dir_kib']:,} KiB; RSS after a restart {small['rss_restarted_kib']:,} → "
            f"{large['rss_restarted_kib']:,} KiB" + (
                f"; a second instance joining with an empty data directory serves after "
                f"{small['join_ready_s']:.1f} → {large['join_ready_s']:.1f} s" if "join_ready_s" in large else ""),
            "the smaller history", f"{per_event:,.0f} B/event",
            "≤ 100 B RSS per event; ready ≤ 3 s at both sizes",
            per_event <= 100 and small["ready_s"] <= 3 and large["ready_s"] <= 3)
    head = [f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()}; "
            f"`BENCH_SCALE={scale} bench/run.sh`; SQLite `synchronous=full` for ingest, `normal` for "
            "the replay and memory set-up; ingest group commits of up to 1,024 appends, queued from the HTTP I/O threads "
            "(no worker waits per request); Kafka `linger.ms=5`, batches of up to "
            f"{r.get('kafka', {}).get('max_batch', 10000):,} records per transaction.", "",
            "| workload | measured | reference (same run) | ratio | target | |",
            "| --- | --- | --- | --- | --- | --- |"]
    return "\n".join(head + rows) + "\n"


def main():
    results = json.load(open(sys.argv[1]))
    table = render(results, sys.argv[2])
    if "--update" in sys.argv:
        path = sys.argv[sys.argv.index("--update") + 1]
        text = open(path).read()
        before, rest = text.split(BEGIN, 1)
        _, after = rest.split(END, 1)
        open(path, "w").write(before + BEGIN + "\n" + table + END + after)
    else:
        print(table)


if __name__ == "__main__":
    main()
