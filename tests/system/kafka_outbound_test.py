"""Outbound webhooks in Kafka mode: each partition's events are delivered by one instance, the
checkpoints are the subscription's consumer group offsets, and a killed owner neither loses nor
floods deliveries.

Two instances serve three subscriptions against a loopback receiver that verifies every
Standard Webhooks signature (an independent implementation): `main` takes every event, `flaky`
the compliments and answers 500 to each first attempt, `broken` the compliments too and answers
500 until the test lets it through (a retry waits 1 s: a few events, not thousands). One instance is SIGKILLed while `main` is mid-stream; its
partitions move to the other, which continues from the committed offsets. Then:
- every event in the events topic reached `main` (by webhook-id = stream-vN), and at most a few
  twice (the delivery in flight at the kill) — a checkpoint that did not move would resend
  hundreds;
- `flaky`'s compliments arrived on the second attempt, and the delivery records say so;
- `broken`'s compliments are failed deliveries listed by the instance that tried them, and a
  redelivery through the API sends the same webhook-id again and ends delivered;
- the killed instance restarts, lists the deliveries the other made meanwhile (records are
  shared through the deliveries topic), gets partitions back (the subscriptions list names them)
  and a second batch is delivered by both without resending the first (events of a partition go
  out in order, so a resend of old ones would arrive before the new ones);
- a 410 disables `broken` on the instance that got it and, through the topic, on the other;
  enabling it on one enables it on both."""
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter

import harness
import kafka_harness
from outbound_harness import Receiver, is_cloudevent

S1 = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # base64 of 24 bytes


def api(port, method, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers={"authorization": "Bearer sys-admin"})
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read() or b"null")


def start(cluster, instance, receiver):
    path, port = cluster.config(instance)
    r = receiver.port
    with open(path, "a") as f:
        f.write(f"""subscriptions:
  - {{ id: main, url: "http://127.0.0.1:{r}/main", secret: "{S1}", allow_private: true }}
  - {{ id: flaky, url: "http://127.0.0.1:{r}/flaky", secret: "{S1}", types: [ComplimentReceived], allow_private: true }}
  - {{ id: broken, url: "http://127.0.0.1:{r}/broken", secret: "{S1}", types: [ComplimentReceived], allow_private: true }}
outbound: {{ retry_schedule: [PT0S, PT1S], jitter: 0 }}
""")
    log = open(os.path.join(cluster.tmp, f"{instance}.log"), "ab")
    proc = subprocess.Popen([cluster.binary, "serve", "--config", path], stdout=log, stderr=log)
    cluster.procs[instance] = (proc, port)
    harness.wait_ready(port, proc, timeout=120)
    return port


def group_lag(cluster, subscription):
    out = harness.run(cluster.binary, "lag", "--kafka", cluster.brokers, "--kafka-group",
                      f"{cluster.group}.outbound.{subscription}", "--topic", cluster.events)
    return json.loads(out.stdout) if out.returncode == 0 else None


def wait_for(what, cond, cluster, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        for name, (proc, _) in cluster.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"instance {name} exited with {proc.returncode}")
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for {what}")


def webhook_ids(events):
    return {f"{e['streamid']}-v{e['streamversion']}" for e in events}


def main():
    binary = sys.argv[1]
    receiver = Receiver({"s1": S1}, delay=0.01)
    receiver.script["/flaky"] = [(500, {}), (200, {})]
    receiver.script["/broken"] = [(500, {})]
    passed = 0
    with tempfile.TemporaryDirectory() as tmp:
        cluster = kafka_harness.Cluster(binary, tmp, "outbound")
        try:
            ports = {"a": start(cluster, "a", receiver), "b": start(cluster, "b", receiver)}
            first = kafka_harness.make_inputs(1500, seed=5) + [
                {"specversion": "1.0", "id": f"kudos-{i}", "source": "crm", "type": "compliment.received",
                 "time": kafka_harness.harness_iso(int(time.time()) - 60), "partitionkey": f"cust-{i}",
                 "data": {"compliment_id": f"kudos-{i}", "customer": f"cust-{i}",
                          "employees": [f"emp-{i}"], "channel": "email", "text": "thanks"}}
                for i in range(8)]
            cluster.publish(first)

            # Kill `a` while `main` is mid-stream (a third of the events delivered).
            wait_for("a third delivered", lambda: len(receiver.on("/main")) >= 400, cluster)
            cluster.kill("a")
            killed_at = time.time()
            cluster.wait_caught_up()
            events = cluster.export()
            want = webhook_ids(events)
            harness.check(len(want) > 1000, f"the topic holds the events ({len(want)})")
            wait_for("every event delivered to main",
                     lambda: webhook_ids_received(receiver, "/main") >= want, cluster)
            wait_for("main's group committed to the end",
                     lambda: (group_lag(cluster, "main") or {}).get("lag") == 0, cluster)
            counts = Counter(x["id"] for x in receiver.on("/main"))
            twice = sum(n - 1 for n in counts.values())
            if twice > 3:
                t0 = receiver.on("/main")[0]["at"]
                for k in [k for k, n in counts.items() if n > 1][:10]:
                    print(k, [round(x["at"] - t0, 2) for x in receiver.on("/main") if x["id"] == k])
                print("kill at", round(killed_at - t0, 2))
            harness.check(set(counts) == want, "main received exactly the topic's events")
            print(f"main: {len(want)} events, {twice} sent twice")
            harness.check(twice <= 3, f"the kill resent at most the deliveries in flight ({twice})")
            harness.check(all(all(x["verified"].values()) for x in receiver.on("/main")),
                          "every delivery is signed (Standard Webhooks)")
            harness.check(all(is_cloudevent(x["event"]) for x in receiver.on("/main")),
                          "every body is a CloudEvent")
            passed += 5

            # flaky: each compliment on its second attempt; the delivery records of `b` say so.
            filed = {f"{e['streamid']}-v{e['streamversion']}" for e in events
                     if e["type"] == "ComplimentReceived"}
            harness.check(len(filed) == 8, "the compliments are in the topic")
            wait_for("flaky's compliments delivered",
                     lambda: {x["id"] for x in receiver.on("/flaky") if x["status"] == 200} >= filed,
                     cluster)
            _, listed = api(ports["b"], "GET", "/v1/webhook-deliveries?subscription=flaky&limit=100")
            flaky = listed["deliveries"]
            # (A compliment `a` had tried once before the kill is delivered by `b` at its first.)
            harness.check(len(flaky) >= 1 and all(d["status"] == "delivered" and d["partition"] >= 0
                                        for d in flaky) and
                          sum(d["attempts"] == 2 for d in flaky) >= len(flaky) - 3,
                          "flaky's records: delivered on the second attempt, with their partition")
            passed += 1

            # broken: failed after the schedule; redelivered through the API once it is mended.
            acks = filed
            wait_for("broken's group committed to the end",
                     lambda: (group_lag(cluster, "broken") or {}).get("lag") == 0, cluster)
            _, failed = api(ports["b"], "GET", "/v1/webhook-deliveries?subscription=broken&status=failed&limit=1")
            harness.check(len(failed["deliveries"]) == 1 and failed["deliveries"][0]["attempts"] == 2,
                          "a failed delivery is listed after every attempt of the schedule")
            one = failed["deliveries"][0]
            harness.check(one["webhook_id"] in acks, "the failed delivery is one of the compliments")
            receiver.script["/broken"] = [(200, {})]
            status, again = api(ports["b"], "POST", f"/v1/webhook-deliveries/{one['id']}/redeliver")
            harness.check(status == 202 and again["status"] == "pending", "redelivery accepted")

            def redelivered():
                _, d = api(ports["b"], "GET", "/v1/webhook-deliveries?subscription=broken&status=delivered")
                return any(x["id"] == one["id"] for x in d["deliveries"])
            wait_for("the redelivery delivered", redelivered, cluster)
            ok = [x for x in receiver.on("/broken") if x["id"] == one["webhook_id"] and x["status"] == 200]
            harness.check(len(ok) == 1, "the redelivery carries the same webhook-id")
            passed += 3

            # `a` comes back: it takes partitions again and sends only what is new.
            ports["a"] = start(cluster, "a", receiver)

            # The delivery records are cluster-wide: `a` lists what `b` did while it was down
            # (flaky's deliveries, broken's redelivery, with b's outcome).
            def a_lists_b():
                _, d = api(ports["a"], "GET", "/v1/webhook-deliveries?subscription=broken&status=delivered")
                _, f = api(ports["a"], "GET", "/v1/webhook-deliveries?subscription=flaky&limit=100")
                return any(x["webhook_id"] == one["webhook_id"] for x in d["deliveries"]) and \
                    {x["webhook_id"] for x in f["deliveries"]} >= {x["webhook_id"] for x in flaky}
            wait_for("a listing b's deliveries", a_lists_b, cluster, timeout=60)
            passed += 1

            # A delivery's key names it on every instance (row ids do not): `a` redelivers what
            # `b` delivered, by the key `b` listed.
            _, on_a = api(ports["a"], "GET", "/v1/webhook-deliveries?subscription=broken&status=delivered")
            row_a = next(x for x in on_a["deliveries"] if x["webhook_id"] == one["webhook_id"])
            harness.check(row_a["key"] == one["key"] == f"broken:{one['webhook_id']}",
                          f"the same key on both instances: {row_a['key']} / {one['key']}")
            status, again_a = api(ports["a"], "POST", f"/v1/webhook-deliveries/{one['key']}/redeliver")
            harness.check(status == 202 and again_a["status"] == "pending" and again_a["key"] == one["key"],
                          f"a redelivers b's delivery by its key: {status} {again_a}")
            wait_for("a's redelivery delivered", lambda: len(
                [x for x in receiver.on("/broken") if x["id"] == one["webhook_id"] and x["status"] == 200]) == 2,
                cluster, timeout=60)
            status, _ = api(ports["a"], "POST", "/v1/webhook-deliveries/broken:no-such-event/redeliver")
            harness.check(status == 404, f"an unknown key is 404: {status}")
            passed += 1

            def a_owns():
                _, subs = api(ports["a"], "GET", "/v1/webhook-subscriptions")
                main_sub = next(s for s in subs["subscriptions"] if s["id"] == "main")
                return len(main_sub.get("partitions", [])) > 0
            wait_for("a owning some of main's partitions", a_owns, cluster)
            before = Counter(x["id"] for x in receiver.on("/main"))
            second = [e for e in kafka_harness.make_inputs(600, seed=6)]
            for e in second:
                e["id"] = "second-" + e["id"]
                if "complaint_id" in e["data"]:
                    e["data"]["complaint_id"] = "second-" + e["data"]["complaint_id"]
            # broken's receiver is gone for good: whichever instance delivers its next compliment
            # gets 410 and disables the subscription, and the other follows (a cluster-wide flag).
            receiver.script["/broken"] = [(410, {})]
            second.append({"specversion": "1.0", "id": "kudos-gone", "source": "crm",
                           "type": "compliment.received",
                           "time": kafka_harness.harness_iso(int(time.time()) - 60),
                           "partitionkey": "cust-1",
                           "data": {"compliment_id": "kudos-gone", "customer": "cust-1",
                                    "employees": ["emp-1"], "channel": "email", "text": "thanks"}})
            cluster.publish(second)
            cluster.wait_caught_up()

            def both_disabled():
                for name in ("a", "b"):
                    _, subs = api(ports[name], "GET", "/v1/webhook-subscriptions")
                    if not next(x for x in subs["subscriptions"] if x["id"] == "broken")["disabled"]:
                        return False
                return True
            wait_for("broken disabled on both instances", both_disabled, cluster, timeout=60)
            status, enabled = api(ports["a"], "POST", "/v1/webhook-subscriptions/broken/enable")
            harness.check(status == 200 and not enabled["disabled"], "enabled on a")

            def b_enabled():
                _, subs = api(ports["b"], "GET", "/v1/webhook-subscriptions")
                return not next(x for x in subs["subscriptions"] if x["id"] == "broken")["disabled"]
            wait_for("broken enabled on b as well", b_enabled, cluster, timeout=60)
            passed += 2
            all_events = cluster.export()
            want_all = webhook_ids(all_events)
            wait_for("the second batch delivered",
                     lambda: webhook_ids_received(receiver, "/main") >= want_all, cluster)
            wait_for("main's group committed to the end again",
                     lambda: (group_lag(cluster, "main") or {}).get("lag") == 0, cluster)
            after = Counter(x["id"] for x in receiver.on("/main"))
            resent = sum(after[k] - before[k] for k in before)
            harness.check(resent == 0, f"the restarted instance resent nothing old ({resent})")
            _, mine = api(ports["a"], "GET", "/v1/webhook-deliveries?subscription=main&limit=1")
            harness.check(len(mine["deliveries"]) == 1, "the restarted instance delivered some of the second batch")
            conn = http.client.HTTPConnection("127.0.0.1", ports["b"], timeout=10)
            conn.request("GET", "/metrics", headers={"authorization": "Bearer sys-admin"})
            text = conn.getresponse().read().decode()
            harness.check(all(f'bounceback_webhook_queue_depth{{subscription="{s}"}}' in text
                              for s in ("main", "flaky", "broken")),
                          "the queue depth gauge has a series per subscription in Kafka mode")
            passed += 3
        except BaseException:  # harness.check exits
            kafka_harness.keep_logs(binary, tmp, "kafka_outbound", ["a", "b"])
            raise
        finally:
            cluster.stop_all()
            receiver.stop()
    print(f"kafka outbound: {passed} checks passed")


def webhook_ids_received(receiver, path):
    return {x["id"] for x in receiver.on(path) if x["status"] == 200}


if __name__ == "__main__":
    main()
