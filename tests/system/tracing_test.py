"""W3C Trace Context through the embedded shape, over real HTTP: a helpdesk's `traceparent`
header (or an event's own CloudEvents distributed-tracing attribute) is continued by the
service's span, stored with the domain events (covered by the hash chain: `verify` passes),
sent on to the outbound webhook as a `traceparent` header and attribute, and written in the log
lines of the request, the append and the delivery; a request without one (or with an invalid
one) starts a trace of its own."""
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import harness
import outbound_harness

SECRET = "whsec_" + base64.b64encode(b"tracing-test-outbound-secret-01").decode()
HELPDESK_TRACE = "0af7651916cd43dd8448eb211c80319c"
HELPDESK_PARENT = "b7ad6b7169203331"
BATCH_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
EVENT_TRACE = "11111111111111111111111111111111"


def filed(i):
    return {"specversion": "1.0", "id": f"t-{i}", "source": "helpdesk", "type": "complaint.filed",
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "data": {"complaint_id": f"tc-{i}", "customer": {"id": f"tc-cust-{i}", "segment": "vip", "value": 10},
                     "severity": "low", "channel": "email", "category": "billing", "team": "emea"}}


def post(port, webhook_id, body, extra_headers):
    status, _ = harness.post_webhook(port, webhook_id, body, headers=extra_headers)
    return status


def trace_id(traceparent):
    m = re.fullmatch(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})", traceparent or "")
    return m.group(1) if m else None


def span_id(traceparent):
    return traceparent.split("-")[2]


def main():
    binary = sys.argv[1]
    receiver = outbound_harness.Receiver({"s": SECRET})
    with tempfile.TemporaryDirectory() as tmp:
        port = harness.free_port()
        cfg = os.path.join(tmp, "bounceback.yaml")
        data = os.path.join(tmp, "data")
        harness.write_config(cfg, port, data)
        with open(cfg, "a") as f:
            f.write(f"""subscriptions:
  - {{ id: main, url: "http://127.0.0.1:{receiver.port}/main", secret: "{SECRET}", types: [ComplaintFiled], allow_private: true }}
""")
        log_path = os.path.join(tmp, "serve.log")
        log = open(log_path, "wb")
        proc = subprocess.Popen([binary, "serve", "--config", cfg], stdout=log, stderr=log)
        try:
            harness.wait_ready(port, proc)
            # 1: the helpdesk's own trace, with a vendor's tracestate.
            harness.check(post(port, "tw-1", json.dumps(filed(1)).encode(), {
                "traceparent": f"00-{HELPDESK_TRACE}-{HELPDESK_PARENT}-01",
                "tracestate": "congo=t61rcWkgMzE"}) == 202, "traced webhook accepted")
            # 2 and 3 in one batch: 2 carries a trace of its own (the CloudEvents extension
            # attribute), 3 continues the request's.
            e2 = filed(2)
            e2["traceparent"] = f"00-{EVENT_TRACE}-2222222222222222-01"
            harness.check(post(port, "tw-2", json.dumps([e2, filed(3)]).encode(), {
                "traceparent": f"00-{BATCH_TRACE}-00f067aa0ba902b7-01"}) == 202, "batch accepted")
            # 4 with no trace, 5 with an invalid one: each starts a trace (never refused for it).
            harness.check(post(port, "tw-4", json.dumps(filed(4)).encode(), {}) == 202, "untraced accepted")
            harness.check(post(port, "tw-5", json.dumps(filed(5)).encode(), {
                "traceparent": "00-ZZZ-not-a-trace"}) == 202, "invalid traceparent is no reason to refuse")
            deadline = time.time() + 60
            while time.time() < deadline and len({r["event"]["subject"] for r in receiver.on("/main")}) < 5:
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()
            receiver.stop()

        delivered = {r["event"]["subject"]: r for r in receiver.on("/main") if r["status"] == 200}
        harness.check(len(delivered) == 5, f"five filings delivered: {sorted(delivered)}")
        stored = {e["streamid"]: e for e in harness.export(binary, data) if e["type"] == "ComplaintFiled"}
        expected_trace = {"complaint-tc-1": HELPDESK_TRACE, "complaint-tc-2": EVENT_TRACE,
                          "complaint-tc-3": BATCH_TRACE}
        own_traces = set()
        for i in range(1, 6):
            stream = f"complaint-tc-{i}"
            event, request = stored[stream], delivered[stream]
            stored_tp = event.get("traceparent", "")
            harness.check(trace_id(stored_tp) is not None, f"{stream}: stored with a valid traceparent: {event}")
            if stream in expected_trace:
                harness.check(trace_id(stored_tp) == expected_trace[stream],
                              f"{stream}: continues the sender's trace: {stored_tp}")
                # The service's own span, not the sender's.
                harness.check(span_id(stored_tp) not in (HELPDESK_PARENT, "2222222222222222", "00f067aa0ba902b7"),
                              f"{stream}: a span of the service's own")
            else:
                own_traces.add(trace_id(stored_tp))
            # The outbound delivery: the event's trace as attribute and header, a new span.
            harness.check(request["event"].get("traceparent") == stored_tp,
                          f"{stream}: the delivered CloudEvent carries the stored traceparent")
            harness.check(trace_id(request["traceparent"]) == trace_id(stored_tp),
                          f"{stream}: the delivery request continues the trace: {request['traceparent']}")
            harness.check(span_id(request["traceparent"]) != span_id(stored_tp),
                          f"{stream}: the delivery is a span of its own")
        harness.check(len(own_traces) == 2 and None not in own_traces,
                      f"untraced and invalid requests start distinct traces: {own_traces}")
        harness.check(stored["complaint-tc-1"].get("tracestate") == "congo=t61rcWkgMzE",
                      "the vendor's tracestate is stored")
        harness.check(delivered["complaint-tc-1"]["tracestate"] == "congo=t61rcWkgMzE",
                      "and passed on to the receiver")
        # The hash chain covers the trace attributes, and still verifies.
        v = harness.run(binary, "verify", "--data", data)
        harness.check(v.returncode == 0, f"verify passes: {v.stdout} {v.stderr}")

        # The logs: one complaint's path from the helpdesk to the outbound webhook by trace id.
        lines = open(log_path, encoding="utf-8").read().splitlines()
        with_trace = [l for l in lines if f"trace_id={HELPDESK_TRACE}" in l]
        harness.check(any("route=/v1/webhooks/{source}" in l and "status=202" in l for l in with_trace),
                      f"the request's log line names its trace: {with_trace}")
        harness.check(any(l.split(" ", 1)[1].startswith("appended stream=complaint-tc-1 ") and "types=ComplaintFiled" in l
                          for l in with_trace), f"the append's log line names stream and trace: {with_trace}")
        harness.check(any(" delivered status=200" in l and "webhook main " in l for l in with_trace),
                      f"the delivery's log line names the trace: {with_trace}")
        harness.check(any(f"trace_id={EVENT_TRACE}" in l and "stream=complaint-tc-2" in l for l in lines),
                      "the event's own trace is the one its append logs")
    print("tracing: 5 complaints followed from the helpdesk through the log to the receiver")


if __name__ == "__main__":
    main()
