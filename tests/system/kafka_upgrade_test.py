"""An events topic written by the previous release still loads. tests/fixtures/release-2026-12-06/
kafka/events.jsonl holds the records (partition, key, headers, value) that release's
`serve --kafka` wrote for first.jsonl on a 2-partition topic. They are written back, byte for byte,
into a fresh events topic; this build's instance rebuilds from them, processes second.jsonl (which
also redelivers a first-part event) and must end with the log `process` gives for both files,
with every partition's hash chain intact."""
import json
import os
import subprocess
import sys
import tempfile
import time

import harness
import kafka_harness

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures",
                       "release-2026-12-06", "kafka")
# The fixture's targets are 1,000 days: a Kafka instance's wall clock makes them due from then.
DUE_FROM = 1882346400  # 2029-09-01T10:00:00Z


def write_config(path, port, data, cluster=None):
    with open(path, "w") as f:
        f.write(f"listen: 127.0.0.1:{port}\ndata_dir: {data}\n")
        f.write(open(os.path.join(FIXTURE, "bounceback.yaml")).read())
        if cluster:
            f.write(f"kafka: {{ brokers: \"{cluster.brokers}\", inbound_topic: {cluster.inbound}, "
                    f"events_topic: {cluster.events}, deadletter_topic: {cluster.deadletter}, "
                    f"group: {cluster.group}, instance_id: up-1, partitions: 2 }}\n")


def produce_records(brokers, topic, path):
    """Each record as it was: partition, key, headers and value (kcat, one record per call)."""
    for line in open(path):
        r = json.loads(line)
        headers = []
        for name, value in zip(r["headers"][0::2], r["headers"][1::2]):
            headers += ["-H", f"{name}={value}"]
        subprocess.run(["kcat", "-P", "-b", brokers, "-t", topic, "-p", str(r["partition"]),
                        "-k", r["key"], *headers], input=r["value"].encode(), check=True)


def without_additions(events):
    """Events as the previous release wrote them: this release records the calendar as applied in
    each filing's policy (ComplaintFiled.policy.calendar_as_applied, issue 23) and amounts as
    exact decimals with a currency. The fixture's filings have neither; the expected log, written
    by this build, has both."""
    for e in events:
        if isinstance(e.get("data"), dict) and isinstance(e["data"].get("policy"), dict):
            e["data"]["policy"].pop("calendar_as_applied", None)
    return [harness.plain_amounts(e) for e in events]


def main():
    binary = sys.argv[1]
    harness.check(time.time() < DUE_FROM, "the fixture's deadlines fall due from 2029-09-01: "
                  "give the Kafka shape a virtual clock or recapture the fixture")
    with tempfile.TemporaryDirectory() as tmp:
        cluster = kafka_harness.Cluster(binary, tmp, "upgrade")
        expected_cfg = os.path.join(tmp, "expected.yaml")
        write_config(expected_cfg, harness.free_port(), os.path.join(tmp, "expected"))
        for name in ("first.jsonl", "second.jsonl"):
            out = harness.run(binary, "process", "--config", expected_cfg, "--data",
                              os.path.join(tmp, "expected"), "--input", os.path.join(FIXTURE, name))
            harness.check(out.returncode == 0, f"process {name}: {out.stderr}")
        expected = kafka_harness.content(
            without_additions(harness.export(binary, os.path.join(tmp, "expected"))))

        cfg = os.path.join(tmp, "up.yaml")
        port = harness.free_port()
        write_config(cfg, port, os.path.join(tmp, "data"), cluster)
        # The first start creates the topics (kept for ever, 2 partitions) on an empty log.
        proc = subprocess.Popen([binary, "serve", "--config", cfg], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            harness.wait_ready(port, proc)
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        produce_records(cluster.brokers, cluster.events, os.path.join(FIXTURE, "events.jsonl"))

        log = open(os.path.join(tmp, "up.log"), "ab")
        proc = subprocess.Popen([binary, "serve", "--config", cfg], stdout=log, stderr=log)
        cluster.procs["up-1"] = (proc, port)
        try:
            harness.wait_ready(port, proc)
            cluster.publish([l for l in open(os.path.join(FIXTURE, "second.jsonl")).read().splitlines()])
            cluster.wait_caught_up()
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        exported = cluster.export()
        harness.check(any("calendar_as_applied" in json.dumps(e["data"]) for e in exported),
                      "filings this build made record their calendar")
        got = kafka_harness.content(without_additions(exported))
        harness.check(got == expected,
                      "the previous release's topic, continued by this build, equals process of both "
                      "inputs: " + json.dumps({k: (got.get(k), expected.get(k)) for k in
                                               set(got) ^ set(expected) or
                                               [k for k in got if got[k] != expected.get(k)]})[:2000])
        verify = harness.run(binary, "verify", "--kafka", cluster.brokers, "--topic", cluster.events)
        harness.check(verify.returncode == 0, "every partition's chain verifies: " + verify.stdout + verify.stderr)
    print("ok")


if __name__ == "__main__":
    main()
