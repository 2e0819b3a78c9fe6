"""Operations: a real Prometheus scrapes the service (issue 26).

The service runs on loopback; Debian's `prometheus` server is started with a scrape config for it
(bearer token, 1 s interval). Checked:
- `promtool check metrics` accepts the service's /metrics text;
- after a complaint whose acknowledge deadline lies in the past (it breaches at once), the breach
  counter moves, and Prometheus' HTTP API answers `up == 1` and the counter above 0;
- the alert rules (ops/prometheus/bounceback.rules.yml) pass `promtool check rules`, and every
  metric named there and in the Grafana dashboard (ops/grafana/bounceback.json) is one the service
  exposes (embedded: seen on /metrics; Kafka mode only: described in services/kafka_processor.cpp).
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import harness

BINARY = sys.argv[1]
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
RULES = os.path.join(ROOT, "ops", "prometheus", "bounceback.rules.yml")
DASHBOARD = os.path.join(ROOT, "ops", "grafana", "bounceback.json")
TOKEN = "sys-admin"


def scrape(port):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics",
                                 headers={"Authorization": f"Bearer {TOKEN}"})
    return urllib.request.urlopen(req, timeout=10).read().decode()


def sample(text, name, labels=""):
    """The sum of a family's samples whose labels contain `labels`."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            if labels in line:
                total += float(line.rsplit(" ", 1)[1])
    return total


def families(text):
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}


def named_metrics(expr):
    """Metric names in a PromQL expression: identifiers that are not functions, keywords,
    label names or label values."""
    expr = re.sub(r'"[^"]*"', '""', expr)             # label values
    expr = re.sub(r"\{[^}]*\}", "", expr)             # label matchers
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)            # ranges
    expr = re.sub(r"\boffset\s+\w+", "", expr)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr))
    functions = {"sum", "rate", "increase", "irate", "deriv", "histogram_quantile", "max", "min",
                 "avg", "count", "and", "or", "unless", "abs", "delta", "topk", "bottomk"}
    return {w for w in words if w not in functions and not re.fullmatch(r"\d+[a-z]*", w)}


def base_family(name, known):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in known:
            return name[: -len(suffix)]
    return name


def kafka_families():
    source = open(os.path.join(ROOT, "services", "kafka_processor.cpp")).read()
    return set(re.findall(r'metrics_\.(?:describe|gauge)\(\s*"([a-z_]+)"', source))


def prom_query(port, q):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    body = json.loads(urllib.request.urlopen(url, timeout=10).read())
    harness.check(body["status"] == "success", f"query {q}: {body}")
    return body["data"]["result"]


def prom_ready(port, proc):
    """Prometheus answers 503 until its storage is open, and nothing before it listens."""
    def ready():
        harness.check(proc.poll() is None, f"prometheus exited with {proc.returncode}")
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=5).status == 200
        except OSError:  # refused, or an HTTP error status
            return False
    wait_until("Prometheus to be ready", ready)


def wait_until(what, probe, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = probe()
        if got:
            return got
        time.sleep(0.2)
    harness.check(False, f"timed out waiting for {what}")


def main():
    promtool = shutil.which("promtool")
    prometheus = shutil.which("prometheus")
    if not promtool or not prometheus:
        sys.exit("prometheus and promtool are missing: run scripts/install-deps.sh --test")
    with tempfile.TemporaryDirectory() as tmp:
        port = harness.free_port()
        cfg = os.path.join(tmp, "bounceback.yaml")
        harness.write_config(cfg, port, os.path.join(tmp, "data"), vip_ack="PT1M")
        log = open(os.path.join(tmp, "serve.log"), "w")
        proc = subprocess.Popen([BINARY, "serve", "--config", cfg], stdout=log, stderr=log)
        prom = None
        try:
            harness.wait_ready(port, proc)
            before = scrape(port)
            check = subprocess.run([promtool, "check", "metrics"], input=before.encode(),
                                   capture_output=True)
            harness.check(check.returncode == 0,
                          f"promtool check metrics: {check.stdout.decode()} {check.stderr.decode()}")
            harness.check(sample(before, "bounceback_sla_breaches_total") == 0, "no breach yet")

            prom_port = harness.free_port()
            prom_cfg = os.path.join(tmp, "prometheus.yml")
            with open(prom_cfg, "w") as f:
                f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [{RULES}]
scrape_configs:
  - job_name: bounceback
    metrics_path: /metrics
    authorization: {{ type: Bearer, credentials: {TOKEN} }}
    static_configs:
      - targets: ["127.0.0.1:{port}"]
""")
            prom_log = open(os.path.join(tmp, "prometheus.log"), "w")
            prom = subprocess.Popen([prometheus, f"--config.file={prom_cfg}",
                                     f"--storage.tsdb.path={os.path.join(tmp, 'tsdb')}",
                                     f"--web.listen-address=127.0.0.1:{prom_port}"],
                                    stdout=prom_log, stderr=prom_log)

            # A VIP complaint filed ten minutes ago with a one-minute acknowledge target: the
            # warning and the breach are due already and fire at once.
            filed = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
            body = json.dumps({"specversion": "1.0", "id": "prom-1", "source": "helpdesk",
                               "type": "complaint.filed", "time": filed,
                               "datacontenttype": "application/json",
                               "data": {"complaint_id": "p-1",
                                        "customer": {"id": "cu-p", "segment": "vip", "value": "10"},
                                        "severity": "high", "channel": "email",
                                        "category": "billing", "team": "emea"}}).encode()
            status, answer = harness.post_webhook(port, "prom-1", body)
            harness.check(status in (200, 202), f"the filing was accepted: {status} {answer}")
            after = wait_until("the breach counter to move", lambda: (
                lambda t: t if sample(t, "bounceback_sla_breaches_total",
                                      'target="acknowledge"') == 1 else None)(scrape(port)))
            harness.check(sample(after, "bounceback_sla_warnings_total") == 1, "one warning")
            harness.check(sample(after, "bounceback_deadline_lateness_seconds_count") == 2,
                          "the warning's and the breach's lateness were observed")
            harness.check(sample(after, "bounceback_escalations_total", 'level="2"') == 1,
                          "the breach escalated to level 2")
            harness.check(sample(after, "bounceback_http_request_duration_seconds_count",
                                 'route="/v1/webhooks/{source}"') >= 1,
                          "the webhook's request duration was observed")
            harness.check(sample(after, "process_resident_memory_bytes") > 1_000_000,
                          "process metrics are exported")
            # The filing and the tick that wrote warning and breach: at least two group commits,
            # each of at least one append, whose sizes and durations were observed.
            commits = sample(after, "bounceback_group_commit_appends_count")
            harness.check(commits >= 2, f"group commits counted: {commits}")
            harness.check(sample(after, "bounceback_group_commit_appends_sum") >= commits,
                          "each group commit holds at least one append")
            harness.check(sample(after, "bounceback_group_commit_events_sum") >= 3,
                          "the filing, warning and breach events were counted in group commits")
            harness.check(sample(after, "bounceback_commit_seconds_count") == commits,
                          "every group commit's duration was observed")
            # The read side applies what is appended: lag families exported (0 when caught up).
            fams = families(after)
            harness.check({"bounceback_read_side_lag_events", "bounceback_read_side_lag_seconds"} <= fams,
                          f"read-side lag in events and seconds: {sorted(f for f in fams if 'lag' in f)}")
            harness.check(sample(after, "bounceback_read_side_lag_seconds") >= 0, "a lag is never negative")
            check = subprocess.run([promtool, "check", "metrics"], input=after.encode(),
                                   capture_output=True)
            harness.check(check.returncode == 0, f"promtool check metrics after: {check.stdout}")

            # Prometheus itself scraped the service.
            prom_ready(prom_port, prom)
            up = wait_until("Prometheus to scrape the service", lambda: [
                r for r in prom_query(prom_port, 'up{job="bounceback"}') if r["value"][1] == "1"])
            harness.check(len(up) == 1, f"up == 1: {up}")
            breaches = wait_until("Prometheus to see the breach", lambda: [
                r for r in prom_query(prom_port, "bounceback_sla_breaches_total")
                if float(r["value"][1]) > 0])
            harness.check(breaches[0]["metric"].get("target") == "acknowledge",
                          f"the breach counter in Prometheus: {breaches}")
            rules = json.loads(urllib.request.urlopen(
                f"http://127.0.0.1:{prom_port}/api/v1/rules", timeout=10).read())
            loaded = [r["name"] for g in rules["data"]["groups"] for r in g["rules"]]
            harness.check("BouncebackDown" in loaded, f"the alert rules are loaded: {loaded}")

            # The rules and the dashboard name only metrics the service exposes.
            check = subprocess.run([promtool, "check", "rules", RULES], capture_output=True)
            harness.check(check.returncode == 0, f"promtool check rules: {check.stdout}")
            exposed = families(after) | kafka_families() | {"up"}
            exprs = []
            rule_text = open(RULES).read()
            exprs += [m.group(1) for m in re.finditer(r"expr: \|\n((?:\s{10}.*\n)+)", rule_text)]
            exprs += re.findall(r"expr: (?!\|)(.*)", rule_text)
            dashboard = json.load(open(DASHBOARD))
            exprs += [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
            harness.check(len(exprs) > 20, f"expressions found: {len(exprs)}")
            for expr in exprs:
                for name in named_metrics(expr):
                    if name in {"le", "job", "instance", "route", "target", "level", "outcome",
                                "state", "subscription", "kind", "status", "reason"}:
                        continue
                    harness.check(base_family(name, exposed) in exposed,
                                  f"{name} (in {expr.strip()!r}) is not a metric the service exposes")
        finally:
            if prom is not None:
                prom.terminate()
                prom.wait(timeout=30)
            proc.terminate()
            proc.wait(timeout=30)
    print("OK: promtool accepts /metrics and the rules; Prometheus scraped up == 1 and a breach; "
          "the rules and the dashboard name only exposed metrics")


if __name__ == "__main__":
    main()
