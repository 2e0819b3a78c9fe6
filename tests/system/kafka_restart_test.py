"""Kafka mode keeps its state under the data directory: a restart reads only what is new.

One instance processes a few thousand inbound events and stops. Restarted on the same data
directory, its owner reads no event from the topic (its partitions' local stores are current),
its read side starts from its checkpoint at the last event (the view's SQLite copy of the topic
is current) and the SLA summary is the same. Events published while it was down are read as the
inbound records to process (the stores are still current). A damaged copy of the topic is
started again from the topic; /readyz says 200 only once the read side has it all, and it then
answers the same summary. `/v1/audit/verify` hashes every
event once: a second request, and one after the restart, continue from its checkpoints.
`replay --kafka` and `audit --kafka` read the topic and answer as they do over an embedded data
directory that processed the same inputs."""
import http.client
import json
import os
import re
import sys
import tempfile
import time

import harness
import kafka_harness


def get(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"authorization": "Bearer sys-admin"})
    resp = conn.getresponse()
    return resp.status, resp.read().decode()


def metric(port, name):
    _, text = get(port, "/metrics")
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def summary_when(port, done, timeout=120):
    """The SLA summary once `done(summary)` holds (the read side follows asynchronously)."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        status, body = get(port, "/v1/sla/summary")
        if status == 200:
            last = json.loads(body)
            # When it was asked, and the read side's own position: not part of the answer.
            last.pop("as_of", None)
            last.pop("position", None)
            if done(last):
                return last
        time.sleep(0.2)
    raise RuntimeError(f"the read side did not get there: {last}")


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        cluster = kafka_harness.Cluster(binary, tmp, "restart")
        first = kafka_harness.make_inputs(3000, seed=5)
        # Other complaints and activity ids than the first batch's.
        later = [json.loads(json.dumps(e).replace('"c-', '"l-').replace('"act-', '"lact-'))
                 for e in kafka_harness.make_inputs(600, seed=6)]
        log_path = os.path.join(tmp, "r1.log")
        data = os.path.join(tmp, "data-r1", "kafka")
        try:
            proc, port = cluster.start("r1")
            cluster.publish(first)
            cluster.wait_caught_up()
            events = len(cluster.export())
            before = summary_when(port, lambda s: s["complaints"] > 0)
            # Settle: the summary stops changing once the read side has every event.
            deadline = time.time() + 60
            while time.time() < deadline:
                time.sleep(1)
                again = summary_when(port, lambda s: True)
                if again == before:
                    break
                before = again
            first_verify = json.loads(get(port, "/v1/audit/verify")[1])
            second_verify = json.loads(get(port, "/v1/audit/verify")[1])
            cluster.stop_all()

            proc, port = cluster.start("r1")
            harness.wait_ready(port, proc)
            replayed = metric(port, "bounceback_kafka_replayed_events_total")
            after = summary_when(port, lambda s: s == before, timeout=30)
            restarted_verify = json.loads(get(port, "/v1/audit/verify")[1])
            metrics_text = get(port, "/metrics")[1]
            cluster.stop_all()
            with open(log_path) as f:
                log = f.read()
            arrivals = [int(m) for m in re.findall(r"read side at arrival (\d+) \(from its checkpoint\)", log)]

            cluster.publish(later)
            proc, port = cluster.start("r1")
            harness.wait_ready(port, proc)
            cluster.wait_caught_up()
            tail_replayed = metric(port, "bounceback_kafka_replayed_events_total")
            grown = summary_when(port, lambda s: s["complaints"] > before["complaints"], timeout=60)
            time.sleep(1)
            grown = summary_when(port, lambda s: True)
            cluster.stop_all()

            view = os.path.join(data, f"{cluster.events}.view.db")
            for suffix in ("-wal", "-shm"):
                if os.path.exists(view + suffix):
                    os.remove(view + suffix)
            with open(view, "wb") as f:
                f.write(b"not a database" * 1000)
            proc, port = cluster.start("r1")
            harness.wait_ready(port, proc, timeout=120)
            # Ready means the read side has every event the topic held: no waiting after it.
            at_ready = summary_when(port, lambda s: True)
            rebuilt = summary_when(port, lambda s: s == grown, timeout=120)
            with open(log_path) as f:
                log = f.read()
            # replay and audit read the events topic as they read an embedded data directory:
            # the same inputs processed embedded give the same reports and the same trail.
            kafka_harness.expected_content(binary, tmp, first + later)
            reference = os.path.join(tmp, "reference")
            config_path = os.path.join(tmp, "r1.yaml")

            def replay(*where):
                out = harness.run(binary, "replay", "--config", config_path, *where, timeout=180)
                harness.check(out.returncode == 0, f"replay {where}: {out.stderr}")
                j = json.loads(out.stdout)
                return {"sla": j["sla"], "employees": j["employees"],
                        "pareto": j["prevention"]["pareto"], "trend": j["prevention"]["weekly_trend"]}

            def audit(*where):
                out = harness.run(binary, "audit", "c-5", *where, "--format", "json", timeout=180)
                harness.check(out.returncode == 0, f"audit {where}: {out.stderr}")
                j = json.loads(out.stdout)
                harness.check(j["intact"] and all(e["hash_ok"] for e in j["events"]),
                              f"audit {where}: every hash matches")
                return [(e["type"], e["data"]) for e in j["events"]]

            from_topic = replay("--kafka", cluster.brokers, "--topic", cluster.events)
            embedded = replay("--data", reference)
            trail_topic = audit("--kafka", cluster.brokers, "--topic", cluster.events)
            trail_embedded = audit("--data", reference)
        finally:
            cluster.stop_all()
            kafka_harness.keep_logs(binary, tmp, "kafka-restart", ["r1"])
        print(f"events={events} replayed after restart={replayed} arrivals={arrivals} tail={tail_replayed}")
        harness.check(replayed == 0, "the restarted owner read nothing from the topic (its stores are current)")
        harness.check(after == before, "the restarted read side answers as before")
        harness.check(arrivals and arrivals[-1] == events,
                      f"the read side started from its checkpoint at the last of {events} events: {arrivals}")
        harness.check(tail_replayed == 0,
                      f"inbound events published while it was down are processed, not replayed: {tail_replayed}")
        harness.check(grown["complaints"] > before["complaints"], "the tail's complaints are counted")
        print("verify:", {k: v for k, v in first_verify.items() if k != "partitions"},
              {k: v for k, v in second_verify.items() if k != "partitions"},
              {k: v for k, v in restarted_verify.items() if k != "partitions"})
        harness.check(first_verify["intact"] and first_verify["events"] == events and
                      first_verify["checked"] == events, "the first verify hashed every event")
        harness.check(second_verify["intact"] and second_verify["events"] == events and
                      second_verify["checked"] == 0,
                      "the second continued from the first's checkpoints: nothing new to hash")
        harness.check(restarted_verify["intact"] and restarted_verify["events"] == events and
                      restarted_verify["checked"] == 0, "the checkpoints survive a restart")
        harness.check("# HELP bounceback_complaints Complaints by state, of the partitions this instance owns"
                      in metrics_text, "/metrics says the complaint counts are this instance's")
        harness.check("started again" in log, "the damaged copy of the topic was started again")
        harness.check(rebuilt == grown, "and the read side answers as before")
        harness.check(at_ready == grown, "already when /readyz first said 200")
        harness.check(from_topic["sla"]["complaints"] == grown["complaints"],
                      "replay --kafka counts every complaint of the topic")
        harness.check(from_topic == embedded,
                      f"replay --kafka gives the embedded replay's reports: {from_topic} != {embedded}")
        harness.check(len(trail_topic) >= 3 and trail_topic == trail_embedded,
                      f"audit --kafka gives the embedded trail: {trail_topic} != {trail_embedded}")


if __name__ == "__main__":
    main()
