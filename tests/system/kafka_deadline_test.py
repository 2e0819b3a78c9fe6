"""Webhook ingress and deadline ticks in Kafka mode. Ticks go through the owner's transaction: a VIP complaint with a 3 s
acknowledge target, filed now and never acknowledged, gets SlaWarningRaised and SlaBreached in the
event topic at their due instants (not when the timer happened to fire), caused by the scheduler."""
import http.client
import json
import sys
import tempfile
import time

import harness
import kafka_harness


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        cluster = kafka_harness.Cluster(binary, tmp, "ticks")
        now = int(time.time())
        filed = {"specversion": "1.0", "id": "t-1", "source": "crm", "type": "complaint.filed",
                 "time": kafka_harness.harness_iso(now),
                 "data": {"complaint_id": "tick-1", "customer": {"id": "cust-t", "segment": "vip", "value": 5000},
                          "severity": "high", "channel": "phone", "category": "billing", "team": "emea"}}
        found = []
        try:
            cluster.start("d1", vip_ack="PT3S", vip_resolve="PT1H")
            cluster.publish([filed])
            deadline = time.time() + 60
            while time.time() < deadline:
                found = [e for e in cluster.export() if e["streamid"] == "complaint-tick-1"]
                if any(e["type"] == "SlaBreached" for e in found):
                    break
                time.sleep(1)
            # The webhook ingress: a signed batch is produced to the inbound topic and answered
            # 202 once the broker has it; the ack names no customer and is routed by the filing.
            _, port = cluster.procs["d1"]
            harness.wait_ready(port, cluster.procs["d1"][0])
            # A standard customer filed just now: the VIP's 3 s target would already be overdue when
            # the filing arrives (the breach above took at least that long), and the scheduler may then
            # rightly decide the breach before it polls the acknowledgement behind it.
            web_now = int(time.time())
            batch = [dict(filed, id="w-1", time=kafka_harness.harness_iso(web_now - 2),
                          data=dict(filed["data"], complaint_id="web-1",
                                    customer={"id": "cust-w", "segment": "standard", "value": 100})),
                     {"specversion": "1.0", "id": "w-2", "source": "crm", "type": "complaint.acknowledged",
                      "time": kafka_harness.harness_iso(web_now - 1),
                      "data": {"complaint_id": "web-1", "employee": "emp-9"}}]
            status, body = harness.post_webhook(port, "wh-1", json.dumps(batch).encode())
            accepted = json.loads(body)
            web = []
            deadline = time.time() + 60
            while time.time() < deadline:
                web = [e["type"] for e in cluster.export() if e["streamid"] == "complaint-web-1"]
                if "ComplaintAcknowledged" in web:
                    break
                time.sleep(0.5)
            view = None
            for _ in range(100):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/v1/complaints/web-1", headers={"authorization": "Bearer sys-admin"})
                resp = conn.getresponse()
                view = (resp.status, json.loads(resp.read() or b"{}"))
                if view[0] == 200 and view[1].get("status") == "acknowledged":
                    break
                time.sleep(0.2)
        finally:
            cluster.stop_all()
            kafka_harness.keep_logs(binary, tmp, "kafka-deadline", ["d1"])
        types = [e["type"] for e in found]
        print("events:", types)
        harness.check("SlaBreached" in types, "the breach was written through the Kafka path")
        breach = next(e for e in found if e["type"] == "SlaBreached")
        due = kafka_harness.harness_iso(now + 3)
        harness.check(breach["data"]["target"] == "acknowledge", "the acknowledge target breached")
        harness.check(breach["time"] == due and breach["data"]["due_at"] == due,
                      f"the breach took effect at its due instant {due}: {breach['time']}")
        harness.check(breach["causationid"] == "scheduler", "caused by the deadline scheduler")
        harness.check("SlaWarningRaised" in types and types.index("SlaWarningRaised") < types.index("SlaBreached"),
                      "the warning came first")
        harness.check(cluster.verify().returncode == 0, "the partition's chain verifies")
        # Kafka mode: each event is decided by the owner, or still pending when the answer left.
        harness.check(status == 202 and accepted["rejected"] == [] and
                      sorted(accepted["accepted"] + accepted.get("pending", [])) == ["w-1", "w-2"],
                      f"the webhook batch was accepted: {status} {accepted}")
        harness.check(web[:2] == ["ComplaintFiled", "ComplaintAcknowledged"],
                      f"the owner decided the webhook's events: {web}")
        harness.check(view[0] == 200 and view[1]["status"] == "acknowledged",
                      f"any instance answers the complaint from the event topic: {view}")
        print("9 passed, 0 failed")


if __name__ == "__main__":
    main()
