"""HTTPS deliveries verify the receiver's certificate: a receiver whose certificate chains to a
CA in the trust store (SSL_CERT_FILE, which OpenSSL's default verify paths honour) gets the event;
one with a self-signed certificate the service does not trust gets nothing, and the delivery
records say why."""
import base64
import http.client
import json
import os
import ssl
import subprocess
import sys
import tempfile
import time

import harness
import outbound_harness

SECRET = "whsec_" + base64.b64encode(b"tls-test-outbound-secret-000001").decode()


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_certs(d):
    """A CA, a server certificate it signs for 127.0.0.1, and an unrelated self-signed one."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Bounceback Test CA",
            "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1",
            "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr")
    with open(f"{d}/san.ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.pem", "-CAkey", f"{d}/ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", f"{d}/san.ext", "-out", f"{d}/server.pem")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", f"{d}/rogue.key", "-out", f"{d}/rogue.pem")


def tls_receiver(cert, key):
    r = outbound_harness.Receiver({"s": SECRET})
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    r.server.socket = ctx.wrap_socket(r.server.socket, server_side=True)
    return r


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        make_certs(tmp)
        trusted = tls_receiver(f"{tmp}/server.pem", f"{tmp}/server.key")
        rogue = tls_receiver(f"{tmp}/rogue.pem", f"{tmp}/rogue.key")
        port = harness.free_port()
        cfg = os.path.join(tmp, "bounceback.yaml")
        harness.write_config(cfg, port, os.path.join(tmp, "data"))
        with open(cfg, "a") as f:
            f.write(f"""subscriptions:
  - {{ id: trusted, url: "https://127.0.0.1:{trusted.port}/hook", secret: "{SECRET}", types: [ComplaintFiled], allow_private: true }}
  - {{ id: rogue, url: "https://127.0.0.1:{rogue.port}/hook", secret: "{SECRET}", types: [ComplaintFiled], allow_private: true }}
outbound: {{ retry_schedule: [PT0S], jitter: 0 }}
""")
        env = dict(os.environ, SSL_CERT_FILE=f"{tmp}/ca.pem")
        log = open(os.path.join(tmp, "serve.log"), "wb")
        proc = subprocess.Popen([binary, "serve", "--config", cfg], stdout=log, stderr=log, env=env)
        try:
            harness.wait_ready(port, proc)
            event = {"specversion": "1.0", "id": "tls-1", "source": "crm", "type": "complaint.filed",
                     "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                     "data": {"complaint_id": "tls-1", "customer": {"id": "tc", "segment": "standard", "value": 1},
                              "severity": "low", "channel": "email", "category": "billing", "team": "emea"}}
            status, _ = harness.post_webhook(port, "tls-w1", json.dumps(event).encode())
            harness.check(status == 202, "accepted")
            failed = []
            deadline = time.time() + 30
            while time.time() < deadline:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/v1/webhook-deliveries?subscription=rogue",
                             headers={"authorization": "Bearer sys-admin"})
                failed = json.loads(conn.getresponse().read())["deliveries"]
                if failed and trusted.on("/hook"):
                    break
                time.sleep(0.2)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            trusted.stop()
            rogue.stop()
    got = trusted.on("/hook")
    print("rogue:", failed[0]["last_error"] if failed else None)
    harness.check(len(got) == 1 and got[0]["verified"]["s"], "the trusted HTTPS receiver got the event")
    harness.check(not rogue.on("/hook"), "the untrusted receiver got nothing")
    harness.check(failed and failed[0]["status"] == "failed" and "TLS handshake" in failed[0]["last_error"],
                  "the delivery record says the handshake failed")
    print("3 passed, 0 failed")


if __name__ == "__main__":
    main()
