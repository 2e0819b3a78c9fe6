"""A webhook receiver on loopback that verifies every delivery with an independent
implementation of Standard Webhooks (the `standardwebhooks` package from PyPI, installed into
.cache/python by scripts/install-deps.sh --test)."""
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, ".cache", "python"))
from standardwebhooks.webhooks import Webhook, WebhookVerificationError  # noqa: E402

CLOUDEVENT_REQUIRED = ("specversion", "id", "source", "type", "time")


class Receiver:
    """Records every request per path; `script[path]` lists responses for successive attempts
    of one webhook-id (status, headers), the last one repeating."""

    def __init__(self, secrets, delay=0.0):
        self.secrets = secrets
        self.delay = delay
        self.lock = threading.Lock()
        self.requests = []   # dicts: path, id, at, status, verified (per secret), body
        self.script = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                wid = headers.get("webhook-id", "")
                with receiver.lock:
                    attempt = sum(1 for r in receiver.requests if r["path"] == self.path and r["id"] == wid)
                    steps = receiver.script.get(self.path, [(200, {})])
                    status, extra = steps[min(attempt, len(steps) - 1)]
                    verified = {}
                    for name, secret in receiver.secrets.items():
                        try:
                            Webhook(secret).verify(body, headers)
                            verified[name] = True
                        except WebhookVerificationError:
                            verified[name] = False
                    event = json.loads(body)
                    receiver.requests.append({"path": self.path, "id": wid, "at": time.time(),
                                              "status": status, "verified": verified, "event": event,
                                              "content_type": headers.get("content-type", ""),
                                              "traceparent": headers.get("traceparent", ""),
                                              "tracestate": headers.get("tracestate", "")})
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("content-length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def on(self, path):
        with self.lock:
            return [r for r in self.requests if r["path"] == path]

    def stop(self):
        self.server.shutdown()


def is_cloudevent(e):
    return all(isinstance(e.get(k), str) and e.get(k) for k in CLOUDEVENT_REQUIRED) and \
        e["specversion"] == "1.0" and "data" in e
