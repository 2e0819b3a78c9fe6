"""Outbound webhooks against a real receiver on loopback: every delivery verifies with the
independent `standardwebhooks` implementation (both secrets during rotation) and is a CloudEvent;
failures, 429 + Retry-After and the retry schedule; 410 disables, the subscriptions list shows it
and an admin resumes it (the events since go out in order); redirects and SSRF targets are
refused; failed deliveries are listed and can be redelivered by an admin."""
import base64
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time

import harness
import outbound_harness

S1 = "whsec_" + base64.b64encode(b"outbound-secret-number-one-0123").decode()
S2 = "whsec_" + base64.b64encode(b"outbound-secret-number-two-4567").decode()
SCHEDULE = [0, 1, 2, 2]   # seconds: a scaled version of the production schedule


def api(port, method, path, token="sys-admin"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, headers={"authorization": f"Bearer {token}"})
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read() or b"null")


def filed(i, segment="standard"):
    return {"specversion": "1.0", "id": f"o-{i}", "source": "crm", "type": "complaint.filed",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "data": {"complaint_id": f"oc-{i}", "customer": {"id": f"oc-cust-{i}", "segment": segment, "value": 10},
                     "severity": "low", "channel": "email", "category": "billing", "team": "emea"}}


def main():
    binary = sys.argv[1]
    receiver = outbound_harness.Receiver({"s1": S1, "s2": S2})
    receiver.script["/flaky"] = [(500, {}), (500, {}), (429, {"Retry-After": "2"}), (200, {})]
    receiver.script["/gone"] = [(410, {})]
    receiver.script["/redirect"] = [(302, {"Location": "http://169.254.169.254/latest/meta-data"})]
    r = receiver.port
    passed = 0
    with tempfile.TemporaryDirectory() as tmp:
        port = harness.free_port()
        cfg = os.path.join(tmp, "bounceback.yaml")
        harness.write_config(cfg, port, os.path.join(tmp, "data"))
        with open(cfg, "a") as f:
            f.write(f"""subscriptions:
  - {{ id: main, url: "http://127.0.0.1:{r}/main", secrets: ["{S1}", "{S2}"], allow_private: true }}
  - {{ id: flaky, url: "http://127.0.0.1:{r}/flaky", secret: "{S1}", types: [ComplaintFiled], allow_private: true }}
  - {{ id: gone, url: "http://127.0.0.1:{r}/gone", secret: "{S1}", allow_private: true }}
  - {{ id: redirect, url: "http://127.0.0.1:{r}/redirect", secret: "{S1}", types: [ComplaintFiled], allow_private: true }}
  - {{ id: ssrf, url: "http://localhost:{r}/ssrf", secret: "{S1}" }}
outbound: {{ retry_schedule: [{", ".join(f"PT{s}S" for s in SCHEDULE)}], jitter: 0 }}
""")
        log = open(os.path.join(tmp, "serve.log"), "wb")
        proc = subprocess.Popen([binary, "serve", "--config", cfg], stdout=log, stderr=log)
        try:
            harness.wait_ready(port, proc)
            for i in range(3):
                status, _ = harness.post_webhook(port, f"ow-{i}", json.dumps(filed(i)).encode())
                harness.check(status == 202, "webhook accepted")
            deadline = time.time() + 60
            while time.time() < deadline:
                main_ids = {x["id"] for x in receiver.on("/main") if x["status"] == 200}
                flaky_ok = [x for x in receiver.on("/flaky") if x["status"] == 200]
                failed = api(port, "GET", "/v1/webhook-deliveries?status=failed")[1]["deliveries"]
                if len(main_ids) >= 3 and len(flaky_ok) >= 3 and {d["subscription"] for d in failed} >= {"ssrf", "redirect", "gone"}:
                    break
                time.sleep(0.3)
            status, listing = api(port, "GET", "/v1/webhook-deliveries")
            metrics = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            metrics.request("GET", "/metrics", headers={"authorization": "Bearer sys-admin"})
            metrics_text = metrics.getresponse().read().decode()
            redirect_failed = [d for d in listing["deliveries"] if d["subscription"] == "redirect"]
            forbidden, _ = api(port, "POST", f"/v1/webhook-deliveries/{redirect_failed[0]['id']}/redeliver", token="sys-agent") \
                if redirect_failed else (None, None)
            again, again_body = api(port, "POST", f"/v1/webhook-deliveries/{redirect_failed[0]['id']}/redeliver") \
                if redirect_failed else (None, None)
            time.sleep(1.5)
            redirect_hits = len(receiver.on("/redirect"))
            lag_scrape = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            lag_scrape.request("GET", "/metrics", headers={"authorization": "Bearer sys-admin"})
            lag_text = lag_scrape.getresponse().read().decode()
            # The 410 disabled "gone": listed as such; an agent may not resume it, an admin may,
            # and its worker then delivers what came after the refused event, new events too.
            _, subs = api(port, "GET", "/v1/webhook-subscriptions")
            gone_listed = next(x for x in subs["subscriptions"] if x["id"] == "gone")
            gone_before = len(receiver.on("/gone"))
            enable_forbidden, _ = api(port, "POST", "/v1/webhook-subscriptions/gone/enable", token="sys-agent")
            enable_unknown, _ = api(port, "POST", "/v1/webhook-subscriptions/nope/enable")
            receiver.script["/gone"] = [(200, {})]   # the receiver is back
            enabled, enabled_body = api(port, "POST", "/v1/webhook-subscriptions/gone/enable")
            status, _ = harness.post_webhook(port, "ow-late", json.dumps(filed(9)).encode())
            harness.check(status == 202, "webhook accepted")
            deadline = time.time() + 30
            while time.time() < deadline:
                gone_after = [x for x in receiver.on("/gone") if x["status"] == 200]
                if any(x["event"]["data"].get("complaint_id") == "oc-9" for x in gone_after):
                    break
                time.sleep(0.3)
            _, subs_after = api(port, "GET", "/v1/webhook-subscriptions")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            receiver.stop()
        exported = harness.export(binary, os.path.join(tmp, "data"))

    def lag_of(sub):
        return [float(l.rsplit(" ", 1)[1]) for l in lag_text.splitlines()
                if l.startswith(f'bounceback_webhook_lag_seconds{{subscription="{sub}"}}')]
    # Outbound lag in seconds: "gone" was disabled on its first event, recorded over a second
    # ago (instants are whole seconds); "main" has handled everything.
    harness.check(len(lag_of("gone")) == 1 and lag_of("gone")[0] >= 1,
                  f"a disabled subscription's lag grows: {lag_of('gone')}")
    harness.check(lag_of("main") == [0.0], f"a caught-up subscription lags 0 s: {lag_of('main')}")

    main = receiver.on("/main")
    harness.check({e["id"] for e in exported} == {x["event"]["id"] for x in main},
                  "the unfiltered subscription received every domain event")
    harness.check(all(x["verified"]["s1"] and x["verified"]["s2"] for x in main),
                  "every delivery verifies with standardwebhooks under both rotated secrets")
    harness.check(all(outbound_harness.is_cloudevent(x["event"]) for x in main), "every body is a CloudEvent")
    harness.check(all(x["content_type"] == "application/cloudevents+json" for x in main), "content type")
    per_id = {}
    for x in main:
        per_id.setdefault(x["id"], []).append(x)
    harness.check(all(len(v) == 1 for v in per_id.values()), "each event delivered once")
    positions = [x["event"]["position"] for x in main]
    harness.check(positions == sorted(positions), "in log order")
    passed += 6

    flaky = receiver.on("/flaky")
    first = [x for x in flaky if x["id"] == flaky[0]["id"]]
    statuses = [x["status"] for x in first]
    gaps = [round(b["at"] - a["at"], 2) for a, b in zip(first, first[1:])]
    print("flaky attempts:", statuses, "gaps:", gaps)
    harness.check(statuses == [500, 500, 429, 200], "fails twice, 429, then delivered")
    harness.check(gaps[0] >= SCHEDULE[1] - 0.05 and gaps[1] >= SCHEDULE[2] - 0.05, "the schedule is respected")
    harness.check(gaps[2] >= 2 - 0.05, "Retry-After is honoured")
    harness.check(sum(1 for x in flaky if x["status"] == 200) == 3 and
                  len({x["id"] for x in flaky if x["status"] == 200}) == 3, "each filed event delivered once")
    harness.check(all(x["event"]["type"] == "ComplaintFiled" for x in flaky), "the type filter holds")
    passed += 5

    harness.check(gone_before == 1, "410 Gone disables the subscription after one attempt")
    harness.check(gone_listed["disabled"] and "410" in gone_listed["disabled_reason"],
                  f"the subscriptions list shows it disabled and why: {gone_listed}")
    harness.check(enable_forbidden == 403 and enable_unknown == 404, "only an admin resumes, a known subscription")
    harness.check(enabled == 200 and enabled_body["disabled"] is False and enabled_body["id"] == "gone",
                  f"an admin resumes it: {enabled} {enabled_body}")
    gone_ok = [x for x in receiver.on("/gone") if x["status"] == 200]
    gone_positions = [x["event"]["position"] for x in gone_ok]
    refused = receiver.on("/gone")[0]["event"]["position"]
    print("gone after resuming:", gone_positions, "refused:", refused)
    harness.check(gone_positions and gone_positions == sorted(gone_positions) and min(gone_positions) > refused
                  and any(x["event"]["data"].get("complaint_id") == "oc-9" for x in gone_ok),
                  "after resuming, the events after the refused one and new ones are delivered in order")
    harness.check(not next(x for x in subs_after["subscriptions"] if x["id"] == "gone")["disabled"],
                  "the list shows it resumed")
    harness.check(len(receiver.on("/ssrf")) == 0, "the SSRF-refused target was never called")
    by_sub = {}
    for d in listing["deliveries"]:
        by_sub.setdefault(d["subscription"], []).append(d)
    print("subscriptions listed:", {k: len(v) for k, v in by_sub.items()}, status)
    harness.check(all(d["status"] == "failed" and d["last_error"].startswith("refused:") and "loopback" in d["last_error"]
                      for d in by_sub.get("ssrf", [])) and by_sub.get("ssrf"), "localhost without allow_private is refused")
    harness.check(redirect_failed and "not followed" in redirect_failed[0]["last_error"], "redirects are not followed")
    harness.check(forbidden == 403, "an agent may not redeliver")
    harness.check(again == 202 and again_body["status"] == "pending", "an admin may redeliver")
    harness.check(redirect_hits == 4, f"the redelivery went out once more: {redirect_hits} attempts at /redirect in all")
    harness.check(any(l.startswith("bounceback_webhook_deliveries_total{") and 'subscription="main"' in l and
                      'outcome="delivered"' in l and l.endswith(" 3") for l in metrics_text.splitlines()) and
                  "bounceback_webhook_queue_depth" in metrics_text and "bounceback_webhook_delivery_seconds" in metrics_text,
                  "delivery metrics are exported")
    passed += 12
    print(f"{passed} passed, 0 failed")


if __name__ == "__main__":
    main()
