"""Helpers for system tests against the real Kafka broker that scripts/kafka-broker.sh runs."""
import json
import os
import random
import subprocess
import time

import harness

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BROKER_SCRIPT = os.path.join(ROOT, "scripts", "kafka-broker.sh")


def brokers():
    env = os.environ.get("BOUNCEBACK_KAFKA_BROKERS")
    if env:
        return env
    path = os.path.join(ROOT, ".cache", "kafka-run", "brokers")
    with open(path) as f:
        return f.read().strip()


class Cluster:
    """One test's topics and group (unique names, so tests never see each other's records)."""

    def __init__(self, binary, tmp, name):
        self.binary = binary
        self.tmp = tmp
        self.brokers = brokers()
        stamp = f"{name}-{int(time.time() * 1000)}"
        self.inbound = f"{stamp}.feedback.inbound"
        self.events = f"{stamp}.complaints.events"
        self.deadletter = f"{stamp}.feedback.deadletter"
        self.group = f"{stamp}.bounceback"
        self.procs = {}

    def config(self, instance, sources="", **policy):
        """`sources`: YAML lines added under webhook_sources (indented two spaces)."""
        port = harness.free_port()
        data = os.path.join(self.tmp, f"data-{instance}")
        path = os.path.join(self.tmp, f"{instance}.yaml")
        harness.write_config(path, port, data, **policy)
        if sources:
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(text.replace("webhook_sources:\n", "webhook_sources:\n" + sources, 1))
        with open(path, "a") as f:
            f.write(f"kafka:\n  brokers: \"{self.brokers}\"\n  inbound_topic: {self.inbound}\n"
                    f"  events_topic: {self.events}\n  deadletter_topic: {self.deadletter}\n"
                    f"  group: {self.group}\n  instance_id: {instance}\n")
        return path, port

    def start(self, instance, sources="", **policy):
        path, port = self.config(instance, sources, **policy)
        log = open(os.path.join(self.tmp, f"{instance}.log"), "ab")
        proc = subprocess.Popen([self.binary, "serve", "--config", path], stdout=log, stderr=log)
        self.procs[instance] = (proc, port)
        return proc, port

    def kill(self, instance):
        proc, _ = self.procs.pop(instance)
        proc.kill()
        proc.wait()

    def stop_all(self):
        for proc, _ in self.procs.values():
            proc.terminate()
        for proc, _ in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.procs = {}

    def publish(self, events, mode="structured", topic=None):
        path = os.path.join(self.tmp, f"publish-{time.time()}.jsonl")
        with open(path, "w") as f:
            for e in events:
                f.write(e if isinstance(e, str) else json.dumps(e))
                f.write("\n")
        out = harness.run(self.binary, "publish", "--kafka", self.brokers, "--topic",
                          topic or self.inbound, "--input", path, "--mode", mode)
        if out.returncode != 0:
            raise RuntimeError("publish failed: " + out.stderr)

    def lag(self):
        out = harness.run(self.binary, "lag", "--kafka", self.brokers, "--kafka-group", self.group,
                          "--topic", self.inbound)
        if out.returncode != 0:
            return None
        return json.loads(out.stdout)

    def wait_caught_up(self, timeout=600):
        deadline = time.time() + timeout
        while time.time() < deadline:
            lag = self.lag()
            if lag is not None and lag["lag"] == 0 and any(p["end"] > 0 for p in lag["partitions"]):
                return
            for name, (proc, _) in self.procs.items():
                if proc.poll() is not None:
                    raise RuntimeError(f"instance {name} exited with {proc.returncode}")
            time.sleep(0.5)
        raise RuntimeError(f"the group did not catch up: {self.lag()}")

    def committed(self):
        lag = self.lag()
        return 0 if lag is None else sum(p["committed"] for p in lag["partitions"])

    def export(self, topic=None):
        out = harness.run(self.binary, "export", "--kafka", self.brokers, "--topic",
                          topic or self.events)
        if out.returncode != 0:
            raise RuntimeError("export failed: " + out.stderr)
        return [json.loads(line) for line in out.stdout.splitlines()]

    def verify(self):
        return harness.run(self.binary, "verify", "--kafka", self.brokers, "--topic", self.events)


def make_inputs(n, seed=11, customers=None):
    """About n inbound CloudEvents, in per-customer order: complaints filed, acknowledged and
    resolved, customer activity; every event carries the customer as `partitionkey`. Times are
    in the last hour and the test policies' targets are weeks, so no deadline falls due."""
    rnd = random.Random(seed)
    base = int(time.time()) - 3600
    complaints = n * 10 // 36
    customers = customers or max(1, complaints // 3)
    out = []
    for i in range(complaints):
        cust = f"cust-{i % customers}"
        cid = f"c-{i}"
        t = base + (i * 7) % 1800
        ce = lambda id_, type_, at, data: {"specversion": "1.0", "id": id_, "source": "crm",
                                           "type": type_, "time": harness_iso(at),
                                           "partitionkey": cust, "data": data}
        out.append(ce(f"{cid}-filed", "complaint.filed", t, {
            "complaint_id": cid, "customer": {"id": cust, "segment": rnd.choice(["vip", "standard"]),
                                              "value": 100 + i % 900},
            "severity": rnd.choice(["low", "medium", "high"]), "channel": "email",
            "category": rnd.choice(["billing", "delivery", "quality"]), "product": "card",
            "team": "emea", "summary": f"complaint {i}"}))
        out.append(ce(f"{cid}-ack", "complaint.acknowledged", t + 60,
                      {"complaint_id": cid, "employee": f"emp-{i % 40}"}))
        out.append(ce(f"{cid}-res", "complaint.resolved", t + 600,
                      {"complaint_id": cid, "employee": f"emp-{i % 40}"}))
    while len(out) < n:
        j = len(out)
        cust = f"cust-{j % customers}"
        out.append({"specversion": "1.0", "id": f"act-{j}", "source": "shop",
                    "type": "customer.activity", "time": harness_iso(base + 2400 + j % 600),
                    "partitionkey": cust,
                    "data": {"customer_id": cust, "kind": rnd.choice(["purchase", "visit"])}})
    return out


def harness_iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def expected_content(binary, tmp, events):
    """The domain events of processing every input exactly once, in order, embedded."""
    data = os.path.join(tmp, "reference")
    cfg = os.path.join(tmp, "reference.yaml")
    harness.write_config(cfg, harness.free_port(), data)
    path = os.path.join(tmp, "reference.jsonl")
    with open(path, "w") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")
    # The reference needs no durability: synchronous=normal keeps it quick.
    out = harness.run(binary, "process", "--config", cfg, "--data", data, "--input", path,
                      "--synchronous", "normal")
    if out.returncode != 0:
        raise RuntimeError("process failed: " + out.stderr)
    return content(harness.export(binary, data))


# Per stream, what must be equal between two logs of the same inputs (harness.domain_content).
content = harness.domain_content


def compare(expected, actual):
    """Lines that say how two contents differ (empty when equal)."""
    problems = []
    for stream in sorted(set(expected) | set(actual)):
        e, a = expected.get(stream, []), actual.get(stream, [])
        if e == a:
            continue
        if not a:
            problems.append(f"{stream}: missing ({len(e)} events)")
        elif not e:
            problems.append(f"{stream}: unexpected ({len(a)} events)")
        else:
            versions = [x[0] for x in a]
            dup = len(versions) != len(set(versions))
            problems.append(f"{stream}: expected {len(e)} events, got {len(a)}"
                            + (" (duplicate versions)" if dup else ""))
        if len(problems) > 20:
            break
    return problems


def keep_logs(binary, tmp, name, instances):
    """Copies the instances' logs next to the build's other artifacts and prints what matters."""
    import shutil
    dest = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(binary))), "artifacts", name)
    os.makedirs(dest, exist_ok=True)
    for inst in instances:
        src = os.path.join(tmp, f"{inst}.log")
        if not os.path.exists(src):
            continue
        shutil.copy(src, os.path.join(dest, f"{inst}.log"))
        with open(src, errors="replace") as f:
            lines = [l for l in f.read().splitlines() if "kafka:" in l or "stopped" in l]
        print(f"--- {inst} ({len(lines)} lines; all in {dest})")
        for l in lines[-12:]:
            print("   ", l)
