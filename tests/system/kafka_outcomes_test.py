"""Kafka mode: a webhook sender learns what the partitions' owners decided, from any instance.

Two instances. A delivery of two events to `a` with `?wait=20s` comes back decided: the filing
accepted, an acknowledgement of a complaint nobody filed rejected by the owner (reason
`unknown_complaint`) — the same answer the embedded shape gives at once. A delivery without
`wait` comes back `pending` with the place to ask (`Location`); asked at `b`, the answer becomes
decided. An event the ingress refuses itself (no partition key for an unknown complaint) is
answered by `b` as well. The same webhook-ids sent again to `b` get the decided answers, not new submissions
(cluster-wide receipts). An unknown webhook-id is a 404 problem+json; a bad `wait` a 400 naming
it. A Zendesk ticket event (a helpdesk source) is decided the same way and known to `b`."""
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import harness
import helpdesk_test
import kafka_harness

ZENDESK_SOURCE = f'  zendesk-prod: {{ kind: zendesk, secret: "{helpdesk_test.ZENDESK_SECRET}" }}\n'


def post(port, webhook_id, events, query="", extra_headers=None):
    body = json.dumps(events).encode()
    ts = str(int(time.time()))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/v1/webhooks/helpdesk" + query, body=body, headers={
            "webhook-id": webhook_id, "webhook-timestamp": ts,
            "webhook-signature": harness.sign(webhook_id, ts, body),
            "content-type": "application/json", **(extra_headers or {})})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), json.loads(resp.read() or b"null")
    finally:
        conn.close()


def post_raw(port, source, body, headers, query=""):
    return harness.send(port, "POST", f"/v1/webhooks/{source}{query}", body,
                        {"content-type": "application/json", **headers}, timeout=40)


def scrape_metrics(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics", headers={"authorization": "Bearer sys-admin"})
    return conn.getresponse().read().decode()


def get(port, path, token="sys-agent"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    return resp.status, dict(resp.getheaders()), json.loads(resp.read() or b"null")


def decided_at(port, webhook_id, what, timeout=60):
    """Asks an instance for a delivery's decisions until none is pending (polling the API: the
    decisions arrive through Kafka, nothing here can be waited on)."""
    deadline = time.time() + timeout
    while True:
        code, _, polled = get(port, f"/v1/webhooks/helpdesk/outcomes/{webhook_id}")
        if code == 200 and polled["pending_count"] == 0:
            return polled
        harness.check(time.time() < deadline, f"{what} ({code} {polled})")
        time.sleep(0.2)


def event(id_, type_, data, key):
    return {"specversion": "1.0", "id": id_, "source": "crm", "type": type_,
            "time": kafka_harness.harness_iso(int(time.time()) - 60), "partitionkey": key, "data": data}


def filed(cid, cust):
    return event(f"{cid}-filed", "complaint.filed", {
        "complaint_id": cid, "customer": {"id": cust, "segment": "standard", "value": 10},
        "severity": "low", "channel": "email", "category": "billing", "team": "emea"}, cust)


def main():
    binary = sys.argv[1]
    passed = 0
    with tempfile.TemporaryDirectory() as tmp:
        cluster = kafka_harness.Cluster(binary, tmp, "outcomes")
        try:
            _, pa = cluster.start("a", ZENDESK_SOURCE)
            harness.wait_ready(pa, cluster.procs["a"][0], timeout=120)
            _, pb = cluster.start("b", ZENDESK_SOURCE)
            harness.wait_ready(pb, cluster.procs["b"][0], timeout=120)

            ack_unknown = event("ack-nobody", "complaint.acknowledged",
                                {"complaint_id": "c-nobody", "employee": "emp-1"}, "cust-o1")
            status, _, first = post(pa, "w1", [filed("c-o1", "cust-o1"), ack_unknown], "?wait=20s")
            harness.check(status == 202, f"the delivery is accepted for processing ({status})")
            harness.check(first.get("accepted") == ["c-o1-filed"] and "pending" not in first,
                          f"waiting, the answer is decided: the filing accepted ({first})")
            harness.check(len(first["rejected"]) == 1 and first["rejected"][0]["id"] == "ack-nobody" and
                          first["rejected"][0]["reason"] == "unknown_complaint",
                          "the owner's rejection reaches the sender, with its reason")
            passed += 3

            status, headers, second = post(pa, "w2", [filed("c-o2", "cust-o2")])
            harness.check(status == 202, "a delivery without wait is accepted")
            location = headers.get("Location") or headers.get("location")
            if second.get("pending"):
                harness.check(second["pending"] == ["c-o2-filed"] and location ==
                              "/v1/webhooks/helpdesk/outcomes/w2" and second["outcome"] == location,
                              f"not decided yet: pending, with where to ask ({second}, {location})")
            polled = decided_at(pb, "w2", "the decision reaches the other instance")
            harness.check(polled["accepted"] == ["c-o2-filed"] and polled["rejected"] == [] and
                          polled["webhook_id"] == "w2", f"asked at the other instance: decided ({polled})")
            passed += 2

            # The sender's trace crosses the inbound topic (a `traceparent` record header) to
            # the owner, whose events in the events topic carry it and whose log names it.
            trace = "5b8efff798038103d269b633813fc60c"
            status, _, traced = post(pa, "w-trace", [filed("c-tr", "cust-tr")], "?wait=20s",
                                     {"traceparent": f"00-{trace}-eee19b7ec3c1b174-01"})
            harness.check(status == 202 and traced.get("accepted") == ["c-tr-filed"],
                          f"the traced delivery is decided ({traced})")
            stored = [e for e in cluster.export() if e["streamid"] == "complaint-c-tr"]
            harness.check(len(stored) == 1 and stored[0].get("traceparent", "").startswith(f"00-{trace}-") and
                          "eee19b7ec3c1b174" not in stored[0]["traceparent"],
                          f"the events topic holds the sender's trace, the owner's span ({stored})")
            logs = "".join(open(os.path.join(tmp, f"{i}.log"), encoding="utf-8").read() for i in ("a", "b"))
            harness.check(any("appended stream=complaint-c-tr " in l and f"trace_id={trace}" in l
                              for l in logs.splitlines()), "the owner's append log line names the trace")
            passed += 2

            status, _, again = post(pb, "w1", [filed("c-o1", "cust-o1"), ack_unknown])
            harness.check(status == 202 and again == first,
                          f"the same webhook-id at the other instance gets the same answer ({again})")
            status, _, again2 = post(pb, "w2", [filed("c-o2", "cust-o2")])
            harness.check(again2.get("accepted") == ["c-o2-filed"] and "pending" not in again2,
                          f"a webhook-id decided elsewhere is answered decided ({again2})")
            passed += 2

            # An event the ingress refuses itself (no partition to send it to) is answered from
            # the other instance too.
            nowhere = {k: v for k, v in event("ack-nowhere", "complaint.acknowledged",
                                              {"complaint_id": "c-nowhere", "employee": "emp-1"},
                                              "x").items() if k != "partitionkey"}
            status, _, third = post(pa, "w4", [filed("c-o4", "cust-o4"), nowhere], "?wait=20s")
            harness.check(status == 202 and third["accepted"] == ["c-o4-filed"] and
                          [r["id"] for r in third["rejected"]] == ["ack-nowhere"] and "pending" not in third,
                          f"the ingress's own refusal is in the decided answer ({third})")
            polled4 = decided_at(pb, "w4", "the refusal reaches the other instance")
            harness.check(polled4["rejected"][0]["reason"] == "unknown_complaint",
                          "the other instance names the ingress's reason")
            passed += 2

            # A helpdesk's own webhook in Kafka mode: decided by the owner like any event, its
            # outcome known to every instance under the vendor's event id.
            body = json.dumps(helpdesk_test.zendesk_event("zd-ev-1", "SOLVED", "235323", 3)).encode()
            status, zd = post_raw(pa, "zendesk-prod", body, helpdesk_test.zendesk_headers(body), "?wait=20s")
            harness.check(status == 202 and zd.get("accepted") == ["zd-ev-1"] and "pending" not in zd,
                          f"a Zendesk ticket event is decided in Kafka mode ({status} {zd})")
            code, _, polled_zd = get(pb, "/v1/webhooks/zendesk-prod/outcomes/zd-ev-1")
            harness.check(code == 200 and polled_zd["accepted"] == ["zd-ev-1"],
                          f"the other instance knows the Zendesk delivery's outcome ({code} {polled_zd})")
            passed += 2

            code, headers, missing = get(pa, "/v1/webhooks/helpdesk/outcomes/never-sent")
            harness.check(code == 404 and missing["type"].endswith("/unknown-outcome") and
                          "problem+json" in (headers.get("Content-Type") or headers.get("content-type", "")),
                          f"an unknown webhook-id is a 404 problem ({code} {missing})")
            status, _, bad = post(pa, "w3", [filed("c-o3", "cust-o3")], "?wait=soon")
            harness.check(status == 400 and bad.get("field") == "wait", f"a bad wait is named ({status} {bad})")
            code, _, _ = get(pa, "/v1/webhooks/helpdesk/outcomes/w2", token="nobody")
            harness.check(code == 401, "asking needs a token")
            passed += 3

            # Kafka figures an on-call engineer reads (issue 26): rebalances, rebuild and commit
            # latency, consumer lag per owned partition; the text passes promtool.
            text = scrape_metrics(pa)
            for needed in ['bounceback_kafka_rebalances_total{change="assigned"}',
                           "bounceback_kafka_rebuild_seconds_count", "bounceback_kafka_commit_seconds_count",
                           "# TYPE bounceback_kafka_consumer_lag gauge",
                           'bounceback_kafka_consumer_lag{partition="']:
                harness.check(needed in text, f"/metrics lacks {needed}")
            commits = sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
                          if l.startswith("bounceback_kafka_commit_seconds_count"))
            harness.check(commits >= 1, f"transactions' commit latency observed ({commits})")
            promtool = shutil.which("promtool")
            harness.check(promtool is not None, "promtool is installed (scripts/install-deps.sh --test)")
            check = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True)
            harness.check(check.returncode == 0, f"promtool check metrics: {check.stdout} {check.stderr}")
            passed += 3

            # The read side's lag in Kafka mode covers the copy of the events topic too; with no
            # traffic it reaches zero (committed transactions' markers are not events behind).
            def lag(t, name):
                return sum(float(l.rsplit(" ", 1)[1]) for l in t.splitlines() if l.startswith(name + " "))
            deadline = time.time() + 60
            while True:
                text = scrape_metrics(pb)
                events_behind = lag(text, "bounceback_read_side_lag_events")
                seconds_behind = lag(text, "bounceback_read_side_lag_seconds")
                if (events_behind == 0 and seconds_behind == 0) or time.time() > deadline:
                    break
                time.sleep(0.2)
            harness.check("# TYPE bounceback_read_side_lag_seconds gauge" in text and events_behind == 0 and
                          seconds_behind == 0, f"the read side catches up: {events_behind} events, {seconds_behind} s")
            passed += 1
        except BaseException:  # harness.check exits
            kafka_harness.keep_logs(binary, tmp, "kafka_outcomes", ["a", "b"])
            raise
        finally:
            cluster.stop_all()
    print(f"kafka outcomes: {passed} checks passed")


if __name__ == "__main__":
    main()
