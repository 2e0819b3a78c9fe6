"""Schemathesis hooks for Bounceback's API conformance test (tests/api/conformance_test.py).

Inbound webhooks are signed (Standard Webhooks). A schema-driven tester cannot sign, so every
generated webhook would stop at 401 and the ingest path (and the links from it) would go untested.
For half of the schema-valid generated webhooks (chosen by the generated webhook-id, so it is
reproducible) this hook sends them to the configured source and signs the exact bytes that go on
the wire; the other half, and every schema-invalid case, stay as generated and must be refused.
"""
import base64
import hashlib
import hmac
import json
import os
import time

import schemathesis

SOURCE = os.environ["BB_WEBHOOK_SOURCE"]
KEY = base64.b64decode(os.environ["BB_WEBHOOK_SECRET"].removeprefix("whsec_"))


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.method.upper() != "POST" or not case.path.startswith("/v1/webhooks/"):
        return
    # Only schema-valid cases: a negative case must stay as invalid as it was generated.
    meta = getattr(case, "meta", None) or getattr(case, "_meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    if mode is not None and str(mode) != "positive":
        return
    headers = case.headers if case.headers is not None else {}
    webhook_id = str(headers.get("webhook-id") or "generated")
    if hashlib.sha256(webhook_id.encode()).digest()[0] % 2:
        return
    # The bytes that go on the wire, computed the way the transport makes them (requests'
    # `json=`), without touching case.body: an edited body would be re-validated as a new case.
    body = case.body
    if type(body).__name__ == "NotSet":
        wire = b""
    elif isinstance(body, bytes):
        wire = body
    else:
        wire = json.dumps(body, allow_nan=False).encode("utf-8")
    timestamp = str(int(time.time()))
    mac = hmac.new(KEY, f"{webhook_id}.{timestamp}.".encode() + wire, hashlib.sha256)
    case.path_parameters = dict(case.path_parameters or {}, source=SOURCE)
    case.headers = dict(headers, **{
        "webhook-id": webhook_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": "v1," + base64.b64encode(mac.digest()).decode(),
    })
