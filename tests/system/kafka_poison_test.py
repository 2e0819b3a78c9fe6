"""Poison messages on the inbound topic (invalid JSON, an unknown type, an oversize record, an
event that fails validation, one in binary mode with a bad header) land in the dead-letter topic
with their original bytes and a reason, while valid traffic on the same partitions goes on."""
import base64
import json
import sys
import tempfile

import harness
import kafka_harness


def main():
    binary = sys.argv[1]
    passed = 0
    with tempfile.TemporaryDirectory() as tmp:
        cluster = kafka_harness.Cluster(binary, tmp, "poison")
        valid = kafka_harness.make_inputs(600, seed=3, customers=6)
        expected = kafka_harness.expected_content(binary, tmp, valid)
        cust = "cust-1"
        poison = [
            ("invalid-json", '{"specversion": "1.0", "id": "broken", "partitionkey": "cust-1", '),
            ("unknown-type", json.dumps({"specversion": "1.0", "id": "u1", "source": "crm",
                                         "type": "complaint.teleported", "time": "2026-11-20T10:00:00Z",
                                         "partitionkey": cust, "data": {"complaint_id": "x"}})),
            ("oversize", json.dumps({"specversion": "1.0", "id": "big", "source": "crm",
                                     "type": "complaint.filed", "time": "2026-11-20T10:00:00Z",
                                     "partitionkey": cust, "data": {"summary": "x" * 300_000}})),
            ("missing-field", json.dumps({"specversion": "1.0", "id": "m1", "source": "crm",
                                          "type": "complaint.filed", "time": "2026-11-20T10:00:00Z",
                                          "data": {"complaint_id": "p-1", "customer": {"id": cust}}})),
        ]
        try:
            cluster.start("i1")
            # Valid traffic before, between and after the poison, all on the customers' partitions.
            third = len(valid) // 3
            cluster.publish(valid[:third])
            cluster.publish([p for _, p in poison[:2]])
            cluster.publish(valid[third:2 * third], mode="binary")
            cluster.publish([p for _, p in poison[2:]])
            cluster.publish(valid[2 * third:])
            cluster.wait_caught_up(timeout=300)
            actual = kafka_harness.content(cluster.export())
            dead = cluster.export(cluster.deadletter)
            metrics = harness_metrics(cluster)
        finally:
            cluster.stop_all()
            kafka_harness.keep_logs(binary, tmp, "kafka-poison", ["i1"])

        problems = kafka_harness.compare(expected, actual)
        for p in problems:
            print("  ", p)
        harness.check(not problems, "every valid event was processed exactly once")
        passed += 1

        invalid = [d for d in dead if d["kind"] == "invalid"]
        originals = {base64.b64decode(d["original_base64"]).decode(errors="replace"): d for d in invalid}
        for name, raw in poison:
            harness.check(raw in originals, f"{name}: dead-lettered with its original bytes")
            print(f"  {name}: {originals[raw]['reason'][:100]}")
            passed += 1
        reasons = {name: originals[raw]["reason"] for name, raw in poison}
        harness.check("not valid JSON" in reasons["invalid-json"], "invalid JSON says so")
        harness.check("unknown event type" in reasons["unknown-type"], "unknown type says so")
        harness.check("larger than" in reasons["oversize"], "oversize says so")
        harness.check("data.severity" in reasons["missing-field"], "a missing field is named")
        harness.check(len(invalid) == len(poison), f"exactly the poison is invalid: {len(invalid)}")
        harness.check(all(d["topic"] == cluster.inbound and d["offset"] >= 0 for d in dead),
                      "each dead letter names where it came from")
        harness.check(metrics.get('bounceback_deadletter_total{kind="invalid"}') == float(len(poison)),
                      f"dead letters are counted in metrics: {metrics}")
        passed += 7
        print(f"{passed} passed, 0 failed")


def harness_metrics(cluster):
    import http.client
    _, port = cluster.procs["i1"]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", "/metrics", headers={"authorization": "Bearer sys-admin"})
    body = conn.getresponse().read().decode()
    out = {}
    for line in body.splitlines():
        if line.startswith("bounceback_deadletter_total"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


if __name__ == "__main__":
    main()
