#!/usr/bin/env python3
"""Secrets never reach the log, and every answer can be traced by its request id.

Drives the real binary over loopback with valid and invalid bearer tokens (in headers and in a
query string), signed, badly signed and replayed webhooks, an oversize body, a malformed request
and an outbound subscription whose endpoint is down, then reads everything the process wrote:
no token, webhook secret (as configured, as key bytes, as base64), subscription secret or
signature may appear; every request line names its request id; every answer carries
x-request-id, and every problem body carries the same id, which the log names too.

usage: security_log_test.py BOUNCEBACK_BINARY
"""
import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile

import harness

MANAGER = "tok-manager-9f1c2e7d4b"
ADMIN = "tok-admin-51aa0c3e88"
WRONG = "tok-wrong-77d3b19e02"
SUB_KEY = b"subscription-secret-bytes-31"
SUB_SECRET = "whsec_" + base64.b64encode(SUB_KEY).decode()


def request(port, method, target, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.getheader("x-request-id"), r.getheader("content-type"), r.read()
    finally:
        conn.close()


def raw(port, data):
    """Sends bytes as they are; the answer as (status, x-request-id, content-type, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before it has read everything
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode(errors="replace").split("\r\n")
    fields = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip()
              for l in lines[1:] if ":" in l}
    return int(lines[0].split()[1]), fields.get("x-request-id"), fields.get("content-type"), body


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        port = harness.free_port()
        cfg = os.path.join(tmp, "bounceback.yaml")
        harness.write_config(cfg, port, os.path.join(tmp, "data"))
        with open(cfg) as f:
            text = f.read()
        text = text.replace('"sys-admin": admin', f'"{ADMIN}": admin\n  "{MANAGER}": manager')
        text += f"""subscriptions:
  - {{ id: down, url: "http://127.0.0.1:{harness.free_port()}/hook", secret: "{SUB_SECRET}", allow_private: true }}
outbound: {{ retry_schedule: [PT0S, PT1S] }}
"""
        with open(cfg, "w") as f:
            f.write(text)
        log_path = os.path.join(tmp, "serve.log")
        with open(log_path, "w") as log:
            proc = subprocess.Popen([binary, "serve", "--config", cfg], stdout=log, stderr=log)
        answers = []  # (what, status, request id, content type, body)
        signatures = []
        try:
            harness.wait_ready(port, proc)

            def note(what, result):
                answers.append((what,) + result)

            note("manager summary", request(port, "GET", "/v1/sla/summary",
                                            headers={"Authorization": f"Bearer {MANAGER}"}))
            note("wrong token", request(port, "GET", "/v1/sla/summary",
                                        headers={"Authorization": f"Bearer {WRONG}"}))
            note("token in query", request(port, "GET", f"/v1/sla/summary?access_token={MANAGER}",
                                           headers={"Authorization": f"Bearer {ADMIN}"}))
            note("agent route as manager", request(port, "GET", "/v1/complaints/nope/history",
                                                   headers={"Authorization": f"Bearer {MANAGER}"}))
            with open(os.path.join(harness.__file__.rsplit("/", 3)[0], "examples",
                                   "complaint-filed.json"), "rb") as f:
                body = f.read()
            ts = str(int(__import__("time").time()))
            sig = harness.sign("wh-1", ts, body)
            signatures.append(sig.split(",", 1)[1])
            headers = {"webhook-id": "wh-1", "webhook-timestamp": ts, "webhook-signature": sig,
                       "content-type": "application/json"}
            note("signed webhook", request(port, "POST", "/v1/webhooks/helpdesk", body, headers))
            note("replayed webhook", request(port, "POST", "/v1/webhooks/helpdesk", body, headers))
            bad = dict(headers, **{"webhook-id": "wh-2",
                                   "webhook-signature": "v1," + base64.b64encode(b"x" * 32).decode()})
            note("badly signed webhook", request(port, "POST", "/v1/webhooks/helpdesk", body, bad))
            # Refused before routing: the server answers as soon as the headers say too much.
            note("oversize", raw(port, b"POST /v1/webhooks/helpdesk HTTP/1.1\r\nHost: x\r\n"
                                 b"Content-Length: 2097152\r\n\r\n" + b"x" * 1024))
            note("malformed", raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n"))
            # Let the dispatcher try the dead endpoint and retry once.
            __import__("time").sleep(3)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        with open(log_path, errors="replace") as f:
            log = f.read()

    if os.environ.get("BB_SHOW_LOG"):
        print(log)
    statuses = {what: status for what, status, *_ in answers}
    harness.check(statuses["manager summary"] == 200, f"statuses: {statuses}")
    harness.check(statuses["wrong token"] == 401, f"statuses: {statuses}")
    harness.check(statuses["agent route as manager"] == 403, f"statuses: {statuses}")
    harness.check(statuses["signed webhook"] == 202, f"statuses: {statuses}")
    harness.check(statuses["badly signed webhook"] == 401, f"statuses: {statuses}")
    harness.check(statuses["oversize"] == 413, f"statuses: {statuses}")
    harness.check(statuses["malformed"] == 400, f"statuses: {statuses}")
    harness.check("webhook down complaint-zd-1001-v1 failed" in log, "the dispatcher's failures are not logged")

    for what, status, rid, ctype, body in answers:
        harness.check(rid, f"{what}: no x-request-id header")
        harness.check(f"request_id={rid}" in log, f"{what}: request id {rid} is not in the log")
        if status >= 400:
            harness.check(ctype == "application/problem+json", f"{what}: {ctype}")
            problem = json.loads(body)
            harness.check(problem.get("request_id") == rid,
                          f"{what}: problem request_id {problem.get('request_id')} != header {rid}")

    secrets = {"manager token": MANAGER, "admin token": ADMIN, "wrong token": WRONG,
               "webhook secret": harness.SECRET,
               "webhook key (base64)": harness.SECRET.removeprefix("whsec_"),
               "webhook key bytes": harness.SECRET_BYTES.decode(),
               "subscription secret": SUB_SECRET, "subscription key bytes": SUB_KEY.decode()}
    for i, s in enumerate(signatures):
        secrets[f"signature {i}"] = s
    for name, value in secrets.items():
        harness.check(value not in log, f"the log contains the {name}")
    for line in log.splitlines():
        if " status=" in line:
            harness.check("request_id=" in line, f"a request line without request id: {line}")
    print(f"security log: OK ({len(log.splitlines())} log lines, {len(answers)} answers checked)")


if __name__ == "__main__":
    main()
