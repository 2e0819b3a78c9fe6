"""Read side against the real binary:
- the reports the live API showed at instant T equal `bounceback replay --until T` run later;
- the prevention Pareto of the imported CFPB sample equals an independent count over the CSV."""
import collections
import csv
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import harness

BINARY = sys.argv[1]
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def get(port, path, token="sys-admin"):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    r = conn.getresponse()
    return r.status, json.loads(r.read())


def event(i, type_, t, data):
    return {"specversion": "1.0", "id": f"rs-{i}", "source": "crm", "type": type_, "time": t, "data": data}


def batch(offset, n):
    now = int(time.time()) - 600
    iso = lambda s: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(s))
    evs = []
    for k in range(offset, offset + n):
        cid = f"c{k}"
        evs.append(event(f"{k}-f", "complaint.filed", iso(now + k),
                         {"complaint_id": cid, "customer": {"id": f"cu{k % 3}", "segment": "vip" if k % 2 else "standard", "value": 100 * k},
                          "severity": "high", "channel": "email", "category": ["billing", "delivery", "quality"][k % 3],
                          "product": "card", "team": "emea", "summary": "s"}))
        if k % 2 == 0:
            evs.append(event(f"{k}-a", "complaint.acknowledged", iso(now + k + 30), {"complaint_id": cid, "employee": f"e{k % 2}"}))
            evs.append(event(f"{k}-r", "complaint.resolved", iso(now + k + 60), {"complaint_id": cid, "employee": f"e{k % 2}"}))
    evs.append(event(f"{offset}-k", "compliment.received", iso(now + 90),
                     {"compliment_id": f"k{offset}", "customer": "cu1", "employees": ["e0"], "channel": "email", "text": "thanks"}))
    return evs


def strip(report):
    return {k: v for k, v in report.items() if k not in ("as_of", "position")}


def replay_matches_live(work):
    port = harness.free_port()
    cfg = os.path.join(work, "bounceback.yaml")
    data = os.path.join(work, "live")
    harness.write_config(cfg, port, data)
    log = open(os.path.join(work, "server.log"), "w")
    proc = subprocess.Popen([BINARY, "serve", "--config", cfg], stdout=log, stderr=log)
    try:
        harness.wait_ready(port, proc)
        status, _ = harness.post_webhook(port, "b1", json.dumps(batch(0, 12)).encode())
        harness.check(status == 202, f"first batch {status}")
        for _ in range(100):  # the read side follows the log asynchronously
            if get(port, "/v1/sla/summary")[1]["complaints"] == 12:
                break
            time.sleep(0.05)
        time.sleep(1.1)  # everything so far was recorded strictly before T
        t = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        _, sla_at_t = get(port, "/v1/sla/summary")
        _, scores_at_t = get(port, "/v1/employees/scores")
        _, prevention_at_t = get(port, "/v1/analytics/prevention")
        time.sleep(1.1)
        status, _ = harness.post_webhook(port, "b2", json.dumps(batch(100, 5)).encode())
        harness.check(status == 202, f"second batch {status}")
        for _ in range(100):
            if get(port, "/v1/sla/summary")[1]["complaints"] == 17:
                break
            time.sleep(0.05)
        harness.check(get(port, "/v1/sla/summary")[1]["complaints"] == 17, "the live view moved on")
        # One employee's score comes with what it is made of: each credited outcome is there.
        first = get(port, "/v1/employees/scores")[1]["items"][0]
        status, detail = get(port, "/v1/employees/" + first["employee_id"])
        harness.check(status == 200, f"employee detail {status}")
        basis = detail["basis"]["complaints"]
        for rate in ("acknowledge", "resolve", "bounce_back", "no_reopen"):
            credited = [c["outcomes"][rate] for c in basis if rate in c["outcomes"]]
            want = detail[rate + "_met" if rate in ("acknowledge", "resolve") else rate]
            harness.check(len(credited) == want["total"] and credited.count("met") == want["hits"],
                          f"{rate}: the basis {credited} makes the rate {want}")
        harness.check(sum(c["owned"] for c in basis) == detail["owned"], "owned complaints listed")
        status, _ = get(port, "/v1/sla/summary", token="sys-nobody")
        harness.check(status == 401, "reports need a token")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    out = harness.run(BINARY, "replay", "--config", cfg, "--data", data, "--until", t)
    harness.check(out.returncode == 0, out.stderr)
    replayed = json.loads(out.stdout)
    harness.check(strip(replayed["sla"]) == strip(sla_at_t),
                  "replay --until T equals the live SLA summary at T:\n" + json.dumps(strip(replayed["sla"]))[:800]
                  + "\n" + json.dumps(strip(sla_at_t))[:800])
    harness.check(replayed["employees"]["items"] == scores_at_t["items"], "employee scores as of T")
    harness.check(replayed["prevention"]["pareto"] == prevention_at_t["pareto"], "pareto as of T")
    harness.check(replayed["sla"]["complaints"] == 12, "the later batch is not in the replay")


def cfpb_pareto_matches_csv(work):
    csv_path = os.path.join(SOURCE, "data", "cfpb-complaints-sample.csv")
    cfg = os.path.join(work, "cfpb.yaml")
    data = os.path.join(work, "cfpb")
    harness.write_config(cfg, harness.free_port(), data)
    out = harness.run(BINARY, "import", "--format", "cfpb", csv_path, "--config", cfg, "--data", data)
    harness.check(out.returncode == 0, out.stderr)
    out = harness.run(BINARY, "replay", "--config", cfg, "--data", data, "--projection", "prevention")
    pareto = json.loads(out.stdout)["prevention"]["pareto"]
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    expected = collections.Counter(r["Issue"] or "Unknown" for r in rows)
    got = {p["category"]: p["count"] for p in pareto}
    harness.check(got == dict(expected), "pareto counts equal the CSV's counts per Issue")
    harness.check(abs(pareto[-1]["cumulative_share"] - 1.0) < 1e-9, "cumulative share ends at 1")
    counts = [p["count"] for p in pareto]
    harness.check(counts == sorted(counts, reverse=True), "descending")
    harness.check(abs(pareto[0]["share"] - expected.most_common(1)[0][1] / len(rows)) < 1e-12, "share")
    out = harness.run(BINARY, "replay", "--config", cfg, "--data", data, "--projection", "prevention", "--format", "csv")
    table = list(csv.DictReader(out.stdout.splitlines()))
    harness.check({r["category"]: int(r["count"]) for r in table} == dict(expected), "the CSV report has the same counts")


def main():
    work = tempfile.mkdtemp(prefix="bounceback-read-")
    replay_matches_live(work)
    cfpb_pareto_matches_csv(work)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
