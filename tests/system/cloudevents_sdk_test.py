#!/usr/bin/env python3
"""CloudEvents as the official SDK sends them reach a `standard` source.

The bodies and headers come from the CloudEvents Python SDK (PyPI `cloudevents`, installed into
.cache/cloudevents by scripts/install-deps.sh --test), signed with Standard Webhooks as any
sender does: binary mode (attributes in `ce-` headers, percent-encoded where the binding says,
data as the body), structured mode (`application/cloudevents+json`), and batched mode
(`application/cloudevents-batch+json`, an array of the SDK's structured events). Each is accepted
and files its complaint; a binary event without a type, or with data that is not JSON, is a 422
naming the attribute; a batch that is not an array is a 422.

usage: cloudevents_sdk_test.py BOUNCEBACK_BINARY
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

import harness

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".cache", "cloudevents"))
from cloudevents.core.bindings.http import to_binary_event, to_structured_event  # noqa: E402
from cloudevents.core.v1.event import CloudEvent  # noqa: E402

WHEN = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) - \
    datetime.timedelta(minutes=1)


def filing(cid, customer, source="/sdk/helpdesk"):
    return CloudEvent(
        {"type": "complaint.filed", "source": source, "id": f"{cid}-filed", "time": WHEN,
         "partitionkey": customer},
        {"complaint_id": cid, "customer": {"id": customer, "segment": "standard", "value": 10},
         "severity": "medium", "channel": "email", "category": "billing", "team": "emea"})


def post(port, webhook_id, body, headers):
    ts = str(int(time.time()))
    return harness.send(port, "POST", "/v1/webhooks/helpdesk", body, {
        **headers, "webhook-id": webhook_id, "webhook-timestamp": ts,
        "webhook-signature": harness.sign(webhook_id, ts, body)})


def status_of(port, cid):
    return harness.send(port, "GET", f"/v1/complaints/{cid}",
                        headers={"Authorization": "Bearer sys-agent"})


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        port = harness.free_port()
        cfg = os.path.join(tmp, "bounceback.yaml")
        harness.write_config(cfg, port, os.path.join(tmp, "data"))
        log_path = os.path.join(tmp, "serve.log")
        with open(log_path, "w") as log:
            proc = subprocess.Popen([binary, "serve", "--config", cfg], stdout=log,
                                    stderr=subprocess.STDOUT)
        try:
            harness.wait_ready(port, proc)
            checks(port)
        except BaseException:
            with open(log_path) as f:
                sys.stdout.write(f.read()[-3000:])
            raise
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    print("ok")


def checks(port):
    # Binary mode; the source holds characters the binding percent-encodes in a header.
    msg = to_binary_event(filing("c-bin", "cust-b", source="/sdk/käse desk"))
    harness.check(any(k.startswith("ce-") for k in msg.headers), f"SDK binary headers: {msg.headers}")
    harness.check("%" in msg.headers["ce-source"], f"the SDK percent-encodes: {msg.headers}")
    status, answer = post(port, "w-bin", msg.body, dict(msg.headers))
    harness.check(status == 202 and answer["accepted"] == ["c-bin-filed"],
                  f"binary mode: {status} {answer}")
    code, c = status_of(port, "c-bin")
    harness.check(code == 200 and c["status"] == "received", f"binary mode filed: {code} {c}")

    # Structured mode, as the SDK labels it.
    msg = to_structured_event(filing("c-struct", "cust-s"))
    harness.check(msg.headers.get("content-type") == "application/cloudevents+json",
                  f"SDK structured headers: {msg.headers}")
    status, answer = post(port, "w-struct", msg.body, dict(msg.headers))
    harness.check(status == 202 and answer["accepted"] == ["c-struct-filed"],
                  f"structured mode: {status} {answer}")

    # Batched mode: the SDK's structured events in an array.
    events = [json.loads(to_structured_event(filing(f"c-batch-{i}", f"cust-{i}")).body)
              for i in range(3)]
    status, answer = post(port, "w-batch", json.dumps(events).encode(),
                          {"content-type": "application/cloudevents-batch+json"})
    harness.check(status == 202 and answer["accepted"] == [f"c-batch-{i}-filed" for i in range(3)],
                  f"batched mode: {status} {answer}")

    # Refusals name what is wrong.
    msg = to_binary_event(filing("c-bad", "cust-x"))
    headers = {k: v for k, v in msg.headers.items() if k != "ce-type"}
    status, p = post(port, "w-bad-1", msg.body, headers)
    harness.check(status == 422 and p.get("field") == "type", f"binary without type: {status} {p}")
    msg = to_binary_event(filing("c-bad", "cust-x"))
    status, p = post(port, "w-bad-2", msg.body, {**msg.headers, "content-type": "text/plain"})
    harness.check(status == 422 and p.get("field") == "datacontenttype",
                  f"binary with non-JSON data: {status} {p}")
    single = to_structured_event(filing("c-bad", "cust-x")).body
    status, p = post(port, "w-bad-3", single, {"content-type": "application/cloudevents-batch+json"})
    harness.check(status == 422 and "array" in p["detail"], f"a batch that is one event: {status} {p}")
    code, _ = status_of(port, "c-bad")
    harness.check(code == 404, "nothing of a refused delivery was written")


if __name__ == "__main__":
    main()
