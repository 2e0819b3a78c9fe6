"""Crash test: >= 10,000 signed webhooks while the server is SIGKILLed 5+ times and restarted.
The client retries every unacknowledged delivery with the same webhook-id. Afterwards every
acknowledged event is in the log exactly once, the hash chain verifies, and `export` equals a
fresh `process` of the same inputs."""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

import harness

BINARY = sys.argv[1]
CLIENTS = 8
COMPLAINTS = 2600       # filed + acknowledged + resolved each
ACTIVITIES = 2300       # customer activity after resolution
KILLS = 5

random.seed(7)
base = int(time.time()) - 3600


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def make_inputs():
    """Per customer, an ordered list of inbound events; customers are spread over clients."""
    per_customer = {}
    for i in range(COMPLAINTS):
        cust = f"cust-{i % 1500}"
        seg = "vip" if i % 5 == 0 else "standard"
        cid = f"c-{i}"
        t = base + i % 600
        evs = per_customer.setdefault(cust, [])
        evs.append({"specversion": "1.0", "id": f"{cid}-filed", "source": "crm", "type": "complaint.filed",
                    "time": iso(t), "data": {"complaint_id": cid, "customer": {"id": cust, "segment": seg, "value": 100 + i},
                                             "severity": random.choice(["low", "medium", "high"]), "channel": "email",
                                             "category": random.choice(["billing", "delivery", "quality"]),
                                             "product": "card", "team": "emea", "summary": f"complaint {i}"}})
        evs.append({"specversion": "1.0", "id": f"{cid}-ack", "source": "crm", "type": "complaint.acknowledged",
                    "time": iso(t + 60), "data": {"complaint_id": cid, "employee": f"emp-{i % 40}"}})
        evs.append({"specversion": "1.0", "id": f"{cid}-res", "source": "crm", "type": "complaint.resolved",
                    "time": iso(t + 600), "data": {"complaint_id": cid, "employee": f"emp-{i % 40}"}})
    for j in range(ACTIVITIES):
        cust = f"cust-{j % 1500}"
        per_customer[cust].append({"specversion": "1.0", "id": f"act-{j}", "source": "shop", "type": "customer.activity",
                                   "time": iso(base + 1200 + j % 600),
                                   "data": {"customer_id": cust, "kind": random.choice(["purchase", "visit", "account_closed"])}})
    lanes = [[] for _ in range(CLIENTS)]
    for n, (cust, evs) in enumerate(sorted(per_customer.items())):
        lanes[n % CLIENTS].extend(evs)
    return lanes


def main():
    lanes = make_inputs()
    total = sum(len(l) for l in lanes)
    harness.check(total >= 10000, f"need >= 10,000 webhooks, have {total}")
    work = tempfile.mkdtemp(prefix="bounceback-crash-")
    port = harness.free_port()
    cfg = os.path.join(work, "bounceback.yaml")
    data = os.path.join(work, "served")
    harness.write_config(cfg, port, data)

    server = {"proc": None}
    lock = threading.Lock()

    starts = {"n": 0}

    def start():
        log = open(os.path.join(work, "server.log"), "a")
        # Every other run on one I/O thread: sessions then have no strand of their own.
        io_threads = 1 + starts["n"] % 2
        starts["n"] += 1
        p = subprocess.Popen([BINARY, "serve", "--config", cfg,
                              "--set", f"http.io_threads={io_threads}"], stdout=log, stderr=log)
        harness.wait_ready(port, p)
        server["proc"] = p

    acknowledged = set()
    sent_order = [[] for _ in range(CLIENTS)]
    progress = {"n": 0}

    def client(lane_no):
        for ev in lanes[lane_no]:
            body = json.dumps(ev).encode()
            webhook_id = "wh-" + ev["id"]
            while True:
                try:
                    status, _ = harness.post_webhook(port, webhook_id, body)
                except OSError:
                    status = None
                if status == 202:
                    break
                if status is not None and status not in (503,):
                    raise RuntimeError(f"unexpected status {status} for {ev['id']}")
                time.sleep(0.05)  # server is down or restarting: retry the same delivery
            with lock:
                acknowledged.add(ev["source"] + "/" + ev["id"])
                progress["n"] += 1
            sent_order[lane_no].append(ev)

    start()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    kills = 0
    # Kills are spread over the workload by progress, not by time: however fast the server, each
    # of the KILLS lands at a random point of its own slice of the first 90%.
    slice_size = total * 0.9 / KILLS
    next_kill = random.uniform(0.2, 0.9) * slice_size
    while any(t.is_alive() for t in threads):
        time.sleep(0.01)
        if kills < KILLS and progress["n"] >= next_kill:
            server["proc"].send_signal(signal.SIGKILL)
            server["proc"].wait()
            kills += 1
            next_kill = (kills + random.uniform(0.2, 0.9)) * slice_size
            print(f"killed server ({kills}) after {progress['n']} acknowledged", flush=True)
            time.sleep(0.3)
            start()
    for t in threads:
        t.join()
    harness.check(kills >= KILLS, f"only {kills} kills happened; the workload ended too soon")
    server["proc"].send_signal(signal.SIGTERM)
    harness.check(server["proc"].wait(timeout=30) == 0, "graceful shutdown must exit 0")

    served = harness.export(BINARY, data)
    verify = harness.run(BINARY, "verify", "--data", data)
    harness.check(verify.returncode == 0, "verify after crashes: " + verify.stdout + verify.stderr)

    # Every acknowledged inbound event took effect exactly once.
    primary = {"complaint.filed": "ComplaintFiled", "complaint.acknowledged": "ComplaintAcknowledged",
               "complaint.resolved": "ComplaintResolved"}
    counts = {}      # (key, type) over the whole log
    per_stream = {}  # (key, stream, type): one customer signal may reach several complaints
    for e in served:
        counts[(e["idempotencykey"], e["type"])] = counts.get((e["idempotencykey"], e["type"]), 0) + 1
        k = (e["idempotencykey"], e["streamid"], e["type"])
        per_stream[k] = per_stream.get(k, 0) + 1
    inputs = [ev for lane in lanes for ev in lane]
    harness.check(len(acknowledged) == len(inputs), "every delivery was eventually acknowledged")
    for ev in inputs:
        k = ev["source"] + "/" + ev["id"]
        if ev["type"] in primary:
            n = counts.get((k, primary[ev["type"]]), 0)
            harness.check(n == 1, f"{k} appears {n} times as {primary[ev['type']]}")
    for (k, stream, t), n in per_stream.items():
        if k:
            harness.check(n == 1, f"{k} produced {t} {n} times in {stream}")

    # The same inputs, processed in the order each client sent them, give the same history.
    jsonl = os.path.join(work, "inputs.jsonl")
    with open(jsonl, "w") as f:
        for lane in sent_order:
            for ev in lane:
                f.write(json.dumps(ev) + "\n")
    fresh = os.path.join(work, "fresh")
    out = harness.run(BINARY, "process", "--config", cfg, "--data", fresh, "--input", jsonl)
    harness.check(out.returncode == 0, "process: " + out.stderr)
    processed = harness.export(BINARY, fresh)
    a, b = harness.domain_content(served), harness.domain_content(processed)
    harness.check(a == b, f"export differs from a fresh process: {len(a)} vs {len(b)} streams")
    print(f"1 passed, 0 failed: {total} webhooks, {kills} SIGKILLs, {len(served)} domain events, "
          f"{len(a)} streams identical to a fresh process")


if __name__ == "__main__":
    main()
