"""A Kafka instance's data directory written by the previous release still loads, without reading
the topic again. tests/fixtures/release-2026-12-07c/kafka-data-dir/ holds what that release's
`serve --kafka` left in its data directory after deciding release-2026-12-06/kafka/first.jsonl
(partition stores, the read side's copy of the events topic and its checkpoint) and every record
of its events topic with its offset. The records are written back into topics of the same names
with the same offsets (one transaction per run of consecutive offsets: each commit marker takes the
offset after its run), and this build starts on a copy of the directory:
- each owned partition continues from its store (no event read back from the topic: the replayed
  events counter stays 0), the read side from its copy and checkpoint;
- it then decides second.jsonl (which redelivers a first-part event) and the topic ends as
  `process` of both files, every partition's chain intact."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import harness
import kafka_harness
import kafka_upgrade_test

sys.path.insert(0, os.path.join(kafka_harness.ROOT, ".cache", "confluent-kafka"))
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                       "release-2026-12-07c", "kafka-data-dir")
FIX06 = kafka_upgrade_test.FIXTURE
NAMES = ("fx3.inbound", "fx3.events", "fx3.deadletter", "fx3.inbound.outcomes", "fx3.events.deliveries")


def delete_topics(brokers):
    """The fixture's topic names are fixed (its stores are those topics' partitions): an earlier
    run's topics go first."""
    admin = AdminClient({"bootstrap.servers": brokers})
    existing = set(admin.list_topics(timeout=30).topics)
    doomed = [t for t in NAMES if t in existing]
    if not doomed:
        return
    for f in admin.delete_topics(doomed, operation_timeout=30).values():
        try:
            f.result()
        except KafkaException:
            pass
    deadline = time.time() + 60
    while time.time() < deadline and set(doomed) & set(admin.list_topics(timeout=30).topics):
        time.sleep(0.2)


def committed_records(brokers, topic):
    c = Consumer({"bootstrap.servers": brokers, "group.id": "fixture-check", "enable.auto.commit": False,
                  "isolation.level": "read_committed", "enable.partition.eof": True})
    c.assign([TopicPartition(topic, p, 0) for p in (0, 1)])
    out, eof = [], set()
    deadline = time.time() + 60
    while len(eof) < 2 and time.time() < deadline:
        m = c.poll(1.0)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                eof.add(m.partition())
            continue
        out.append((m.partition(), m.offset()))
    c.close()
    return sorted(out)


def write_back(brokers, topic, records):
    """The records at their offsets: a transaction per run of consecutive offsets, whose commit
    marker takes the offset after it, as the owner's transactions did."""
    p = Producer({"bootstrap.servers": brokers, "transactional.id": f"fixture-{time.time()}"})
    p.init_transactions(30)
    for partition in (0, 1):
        rows = [r for r in records if r["partition"] == partition]
        next_offset = 0
        run = []
        for r in rows + [None]:
            if r is not None and (not run or r["offset"] == run[-1]["offset"] + 1):
                run.append(r)
                continue
            harness.check(run[0]["offset"] == next_offset,
                          f"partition {partition}: offset {run[0]['offset']} where {next_offset} follows; "
                          "the fixture holds something other than committed transactions")
            p.begin_transaction()
            for x in run:
                p.produce(topic, key=x["key"], value=x["value"], partition=partition,
                          headers=[(k, v) for k, v in x["headers"]])
            p.commit_transaction(30)
            next_offset = run[-1]["offset"] + 2
            run = [r]
    harness.check(committed_records(brokers, topic) ==
                  sorted((r["partition"], r["offset"]) for r in records),
                  "the records are back at the offsets the previous release wrote them at")


def metric(port, name):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                 headers={"Authorization": "Bearer sys-admin"})
    text = urllib.request.urlopen(req, timeout=10).read().decode()
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l.startswith(name + " "))


def main():
    binary = sys.argv[1]
    harness.check(time.time() < kafka_upgrade_test.DUE_FROM, "the fixture's deadlines fall due from "
                  "2029-09-01: recapture the fixture")
    records = [json.loads(l) for l in open(os.path.join(FIXTURE, "events.jsonl"))]
    with tempfile.TemporaryDirectory() as tmp:
        cluster = kafka_harness.Cluster(binary, tmp, "datadir")
        cluster.inbound, cluster.events, cluster.deadletter = NAMES[0], NAMES[1], NAMES[2]
        delete_topics(cluster.brokers)

        # This build creates the topics (kept for ever, 2 partitions) from a scratch directory.
        port = harness.free_port()
        scratch = os.path.join(tmp, "scratch.yaml")
        kafka_upgrade_test.write_config(scratch, port, os.path.join(tmp, "scratch"), cluster)
        proc = subprocess.Popen([binary, "serve", "--config", scratch], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            harness.wait_ready(port, proc, timeout=120)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        write_back(cluster.brokers, cluster.events, records)

        data = os.path.join(tmp, "data")
        shutil.copytree(os.path.join(FIXTURE, "data"), data)
        cfg = os.path.join(tmp, "up.yaml")
        port = harness.free_port()
        kafka_upgrade_test.write_config(cfg, port, data, cluster)
        log_path = os.path.join(tmp, "up.log")
        log = open(log_path, "ab")
        proc = subprocess.Popen([binary, "serve", "--config", cfg], stdout=log, stderr=log)
        cluster.procs["up-1"] = (proc, port)
        try:
            harness.wait_ready(port, proc, timeout=120)
            replayed = metric(port, "bounceback_kafka_replayed_events_total")
            cluster.publish(open(os.path.join(FIX06, "second.jsonl")).read().splitlines())
            cluster.wait_caught_up()
        finally:
            proc.terminate()
            proc.wait(timeout=60)
            log.close()
        lines = open(log_path, encoding="utf-8").read()
        harness.check(replayed == 0, f"the stores continued into the topic: {replayed} events read back\n{lines}")
        harness.check("rebuilding it from the topic" not in lines and "started again" not in lines,
                      f"no store or copy was started again:\n{lines}")
        harness.check(re.search(r"read side at arrival \d+ \(from its checkpoint\)", lines) is not None,
                      f"the read side started from the previous release's checkpoint:\n{lines}")

        expected_cfg = os.path.join(tmp, "expected.yaml")
        kafka_upgrade_test.write_config(expected_cfg, harness.free_port(), os.path.join(tmp, "expected"))
        for name in ("first.jsonl", "second.jsonl"):
            out = harness.run(binary, "process", "--config", expected_cfg, "--data",
                              os.path.join(tmp, "expected"), "--input", os.path.join(FIX06, name))
            harness.check(out.returncode == 0, f"process {name}: {out.stderr}")
        expected = kafka_harness.content(kafka_upgrade_test.without_additions(
            harness.export(binary, os.path.join(tmp, "expected"))))
        got = kafka_harness.content(kafka_upgrade_test.without_additions(cluster.export()))
        harness.check(got == expected, "the previous release's data directory and topic, continued by "
                      "this build, equal process of both inputs: " +
                      json.dumps({k: (got.get(k), expected.get(k)) for k in set(got) | set(expected)
                                  if got.get(k) != expected.get(k)})[:2000])
        verify = cluster.verify()
        harness.check(verify.returncode == 0, "every partition's chain verifies: " + verify.stdout + verify.stderr)
    print(f"ok: {len(records)} records at their offsets, stores and read side continued")


if __name__ == "__main__":
    main()
