"""Shared helpers for system tests that drive the real `bounceback` binary."""
import base64
import hashlib
import hmac
import http.client
import decimal
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

SECRET_BYTES = b"system-test-helpdesk-secret"
SECRET = "whsec_" + base64.b64encode(SECRET_BYTES).decode()

CONFIG = """
listen: 127.0.0.1:{port}
data_dir: {data}
webhook_sources:
  helpdesk: {{ secret: "{secret}" }}
tokens:
  "sys-admin": admin
  "sys-agent": agent
calendars:
  always: {{ time_zone: UTC, hours: all }}
  office: {{ time_zone: Europe/Berlin, hours: {{ mon: ["09:00","17:00"], tue: ["09:00","17:00"], wed: ["09:00","17:00"], thu: ["09:00","17:00"], fri: ["09:00","17:00"] }} }}
policies:
  - id: vip
    match: {{ segment: [vip] }}
    calendar: always
    acknowledge: {vip_ack}
    resolve: {vip_resolve}
    bounce_back: P60D
    escalation: [ {{ on: warning, to_level: 1 }}, {{ on: breach, to_level: 2 }} ]
  - id: standard
    calendar: office
    acknowledge: {std_ack}
    resolve: P40D
    bounce_back: P60D
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(path, port, data, vip_ack="P30D", vip_resolve="P40D", std_ack="P30D"):
    with open(path, "w") as f:
        f.write(CONFIG.format(port=port, data=data, secret=SECRET, vip_ack=vip_ack,
                              vip_resolve=vip_resolve, std_ack=std_ack))


def sign(webhook_id, timestamp, body):
    mac = hmac.new(SECRET_BYTES, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def post_webhook(port, webhook_id, body, timeout=10, headers=None):
    """A signed delivery to the `helpdesk` source; `headers` adds to (or replaces) the usual."""
    ts = str(int(time.time()))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", "/v1/webhooks/helpdesk", body=body, headers={
            "webhook-id": webhook_id, "webhook-timestamp": ts,
            "webhook-signature": sign(webhook_id, ts, body), "content-type": "application/json",
            **(headers or {})})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def send(port, method, path, body=None, headers=None, timeout=10):
    """One request; the answer as (status, decoded JSON body or None)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, json.loads(r.read() or b"null")
    finally:
        conn.close()


def wait_ready(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server did not become ready")


def run(binary, *args, **kw):
    return subprocess.run([binary, *args], capture_output=True, text=True, **kw)


def export(binary, data):
    out = run(binary, "export", "--data", data)
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return [json.loads(line) for line in out.stdout.splitlines()]


def domain_content(events):
    """What must be equal between two logs of the same inputs: per stream, the sequence of
    (type, data, time, idempotency key, causation). Positions, wall-clock recorded_at, the
    hashes built from them, and the delivery that carried a command may differ."""
    streams = {}
    for e in events:
        streams.setdefault(e["streamid"], []).append(
            (e["streamversion"], e["type"], json.dumps(e["data"], sort_keys=True), e["time"],
             e["idempotencykey"], e["causationid"]))
    return {k: sorted(v) for k, v in streams.items()}


def check(condition, message):
    if not condition:
        print("FAIL:", message)
        sys.exit(1)


def plain_amounts(v):
    """Amounts as exact decimal text: this release writes {"amount": "1200.00", "currency":
    "USD"} where the previous one wrote the JSON number 1200 (issue 23); both become "1200"."""
    if isinstance(v, dict):
        if "amount" in v and set(v) <= {"amount", "currency"}:
            return str(decimal.Decimal(v["amount"]).normalize())
        return {k: plain_amounts(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain_amounts(x) for x in v]
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return str(decimal.Decimal(repr(v)).normalize())
    return v
