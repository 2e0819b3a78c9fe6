"""Deadlines exactly once while partitions move. 60 VIP complaints (acknowledge within 20 s,
resolve within 40 s, never acted on) are filed on 6 partitions owned by two instances; while
their warnings, breaches and escalations fall due, one instance is SIGKILLed, a third joins, the
killed one comes back, and the other is SIGKILLed and comes back. Afterwards every complaint has
each deadline event exactly once (the acknowledge and resolve warnings and breaches, the
escalations they cause), all caused by the scheduler, and every partition's chain verifies."""
import collections
import sys
import tempfile
import time

import harness
import kafka_harness

COMPLAINTS = 60
POLICY = {"vip_ack": "PT20S", "vip_resolve": "PT40S"}


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        cluster = kafka_harness.Cluster(binary, tmp, "moves")
        try:
            for name in ("m1", "m2"):
                cluster.start(name, **POLICY)
            for name in ("m1", "m2"):
                harness.wait_ready(cluster.procs[name][1], cluster.procs[name][0])
            filed_at = int(time.time())
            cluster.publish([
                {"specversion": "1.0", "id": f"mv-{i}", "source": "crm", "type": "complaint.filed",
                 "time": kafka_harness.harness_iso(filed_at), "partitionkey": f"cust-mv-{i}",
                 "data": {"complaint_id": f"mv-{i}",
                          "customer": {"id": f"cust-mv-{i}", "segment": "vip", "value": 1000},
                          "severity": "high", "channel": "phone", "category": "billing",
                          "team": "emea"}}
                for i in range(COMPLAINTS)])

            def at(seconds):  # waits until `seconds` after the filing
                time.sleep(max(0.0, filed_at + seconds - time.time()))

            # Warnings fall due at 16 s and 32 s, breaches at 20 s and 40 s.
            at(14); cluster.kill("m1")
            at(18); cluster.start("m3", **POLICY)
            at(24); cluster.start("m1", **POLICY)
            at(30); cluster.kill("m2")
            at(36); cluster.start("m2", **POLICY)

            def deadline_events():
                out = collections.Counter()
                for e in cluster.export():
                    if not e["streamid"].startswith("complaint-mv-"):
                        continue
                    if e["type"] in ("SlaWarningRaised", "SlaBreached"):
                        out[(e["streamid"], e["type"], e["data"]["target"], e["causationid"])] += 1
                    elif e["causationid"] == "scheduler":
                        out[(e["streamid"], e["type"], str(e["data"].get("to_level")), "scheduler")] += 1
                return out

            found = collections.Counter()
            deadline = time.time() + 180
            while time.time() < deadline:
                found = deadline_events()
                breaches = sum(1 for k in found if k[1] == "SlaBreached" and k[2] == "resolve")
                if breaches == COMPLAINTS:
                    break
                time.sleep(1)
            time.sleep(3)  # anything late (a duplicate) would show now
            found = deadline_events()
            verified = cluster.verify()
        finally:
            cluster.stop_all()
            kafka_harness.keep_logs(binary, tmp, "kafka-deadline-moves", ["m1", "m2", "m3"])

        kinds = collections.Counter((k[1], k[2]) for k in found)
        print("deadline events by kind:", dict(kinds))
        twice = {k: n for k, n in found.items() if n != 1}
        harness.check(not twice, f"no deadline event twice: {list(twice.items())[:5]}")
        for kind in (("SlaWarningRaised", "acknowledge"), ("SlaBreached", "acknowledge"),
                     ("SlaWarningRaised", "resolve"), ("SlaBreached", "resolve")):
            harness.check(kinds[kind] == COMPLAINTS, f"{kind} for every complaint: {kinds[kind]}")
        harness.check(kinds[("ComplaintEscalated", "1")] == COMPLAINTS and
                      kinds[("ComplaintEscalated", "2")] == COMPLAINTS,
                      "escalated to level 1 (warning) and 2 (breach) once each")
        harness.check(all(k[3] == "scheduler" for k in found), "all caused by the scheduler")
        harness.check(verified.returncode == 0, "every partition's hash chain verifies: " +
                      verified.stdout + verified.stderr)
        print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
