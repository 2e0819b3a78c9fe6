#!/usr/bin/env python3
"""API conformance: schemathesis (PyPI, installed by `scripts/install-deps.sh --test` into
.cache/schemathesis) against the OpenAPI document the real binary serves, with every check, an
admin bearer token, and the stateful phase that follows the document's links. Zero failures.

usage: conformance_test.py BOUNCEBACK_BINARY [MAX_EXAMPLES]
"""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "system"))
import harness  # noqa: E402


def event(i, type_, data, minutes):
    return {"specversion": "1.0", "id": f"seed-{i}", "source": "conformance", "type": type_,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - minutes * 60)),
            "data": data}


def seed(port):
    """Complaints in several states, so every list has items and the links lead somewhere."""
    events = []
    for n in range(6):
        cid = f"conf-{n}"
        events.append(event(len(events), "complaint.filed", {
            "complaint_id": cid, "customer": {"id": f"cust-{n}", "segment": "vip" if n % 2 else "standard",
                                              "value": 1000 * n},
            "severity": ["low", "medium", "high", "critical"][n % 4], "channel": "email",
            "category": ["billing", "delivery"][n % 2], "product": "card", "team": "emea",
            "summary": "seeded by the conformance test"}, 30 - n))
        if n % 3 != 2:
            events.append(event(len(events), "complaint.acknowledged",
                                {"complaint_id": cid, "employee": f"emp-{n % 2}"}, 20 - n))
        if n % 3 == 0:
            events.append(event(len(events), "complaint.resolved",
                                {"complaint_id": cid, "employee": f"emp-{n % 2}"}, 10 - n))
    body = json.dumps(events).encode()
    status, answer = harness.post_webhook(port, "seed-batch", body)
    harness.check(status == 202, f"seeding: {status} {answer[:300]!r}")


def main():
    binary = sys.argv[1]
    examples = sys.argv[2] if len(sys.argv) > 2 else "40"
    lib = os.path.join(ROOT, ".cache", "schemathesis")
    if not os.path.isdir(os.path.join(lib, "schemathesis")):
        sys.exit("schemathesis is missing: run scripts/install-deps.sh --test")
    with tempfile.TemporaryDirectory() as tmp:
        port = harness.free_port()
        data = os.path.join(tmp, "data")
        cfg = os.path.join(tmp, "bounceback.yaml")
        harness.write_config(cfg, port, data, vip_ack="PT1M")
        # A subscription whose endpoint refuses connections: delivery records to list and redeliver.
        with open(cfg, "a") as f:
            f.write(f"""subscriptions:
  - {{ id: closed, url: "http://127.0.0.1:{harness.free_port()}/hook", secret: "{harness.SECRET}", allow_private: true }}
""")
        log = open(os.path.join(tmp, "serve.log"), "w+")
        proc = subprocess.Popen([binary, "serve", "--config", cfg], stdout=log, stderr=subprocess.STDOUT)
        try:
            harness.wait_ready(port, proc)
            seed(port)
            env = dict(os.environ, PYTHONPATH=lib + os.pathsep + HERE,
                       SCHEMATHESIS_HOOKS="schemathesis_hooks",
                       BB_WEBHOOK_SOURCE="helpdesk", BB_WEBHOOK_SECRET=harness.SECRET,
                       NO_COLOR="1")
            cmd = [sys.executable, "-m", "schemathesis.cli", "run",
                   f"http://127.0.0.1:{port}/openapi.yaml",
                   "--checks", "all",
                   "--header", "Authorization: Bearer sys-admin",
                   "--max-examples", examples,
                   "--seed", "20261122",
                   "--workers", "1",
                   "--request-timeout", "20",
                   "--no-color"]
            print("running:", " ".join(cmd), flush=True)
            result = subprocess.run(cmd, env=env, cwd=tmp)
            harness.check(proc.poll() is None, "the service died during the run")
            harness.check(result.returncode == 0, f"schemathesis failed (exit {result.returncode})")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.seek(0)
            tail = log.read()[-3000:]
            if proc.returncode not in (0, -15):
                print("service log tail:\n" + tail)
    print("api conformance: OK")


if __name__ == "__main__":
    main()
