"""The batch commands reach a cluster as they reach a data directory.

`process --kafka` and `import --format cfpb --kafka` publish to the inbound topic and return once
the group has decided every record; `replay --kafka` and `audit --kafka` then answer over the
events topic what `process`, `import`, `replay` and `audit` answer over an embedded data
directory given the same inputs."""
import json
import os
import sys
import tempfile
import time

import harness
import kafka_harness

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
                      "cfpb-complaints-sample.csv")


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        cluster = kafka_harness.Cluster(binary, tmp, "batch")
        inputs = kafka_harness.make_inputs(900, seed=8)
        path = os.path.join(tmp, "inputs.jsonl")
        with open(path, "w") as f:
            for e in inputs:
                f.write(json.dumps(e) + "\n")
        config = os.path.join(tmp, "k1.yaml")
        try:
            proc, port = cluster.start("k1")
            harness.wait_ready(port, proc, timeout=120)
            processed = harness.run(binary, "process", "--config", config, "--kafka",
                                    cluster.brokers, "--input", path, timeout=300)
            # Without the group's last commit the command does not return: nothing to wait for.
            imported = harness.run(binary, "import", "--format", "cfpb", SAMPLE, "--config",
                                   config, "--kafka", cluster.brokers, timeout=300)
            refused = harness.run(binary, "process", "--config", config, "--kafka",
                                  cluster.brokers, "--input", path, "--until",
                                  "2026-01-01T00:00:00Z", timeout=60)

            def replay(*where):
                out = harness.run(binary, "replay", "--config", config, *where, timeout=180)
                harness.check(out.returncode == 0, f"replay {where}: {out.stderr}")
                return json.loads(out.stdout)

            def audit(complaint, *where):
                out = harness.run(binary, "audit", complaint, *where, "--format", "json",
                                  timeout=180)
                harness.check(out.returncode == 0, f"audit {where}: {out.stderr}")
                j = json.loads(out.stdout)
                harness.check(j["intact"], f"audit {where}: every hash matches")
                return [(e["type"], e["data"]) for e in j["events"]]

            # The same inputs, embedded; its virtual clock then runs to now, as the cluster's
            # wall clock has: every deadline due by now fires in both.
            reference = os.path.join(tmp, "reference")
            out = harness.run(binary, "process", "--config", config, "--data", reference, "--input",
                              path, "--synchronous", "normal")
            harness.check(out.returncode == 0, f"process: {out.stderr}")
            out = harness.run(binary, "import", "--format", "cfpb", SAMPLE, "--config", config,
                              "--data", reference)
            harness.check(out.returncode == 0, f"import: {out.stderr}")
            empty = os.path.join(tmp, "empty.jsonl")
            open(empty, "w").close()
            out = harness.run(binary, "process", "--config", config, "--data", reference, "--input",
                              empty, "--until", kafka_harness.harness_iso(time.time()))
            harness.check(out.returncode == 0, f"process --until now: {out.stderr}")
            embedded = replay("--data", reference)
            trail_embedded = audit("c-7", "--data", reference)

            # The owner fires deadlines in transactions of their own after the records: asked
            # until its topic holds them all (or a minute has passed).
            topic = ("--kafka", cluster.brokers, "--topic", cluster.events)
            deadline = time.time() + 60
            while True:
                from_topic = replay(*topic)
                if from_topic["sla"] == embedded["sla"] or time.time() > deadline:
                    break
            trail_topic = audit("c-7", *topic)
        finally:
            cluster.stop_all()
            kafka_harness.keep_logs(binary, tmp, "kafka-batch", ["k1"])

        harness.check(processed.returncode == 0 and "decided" in processed.stderr,
                      f"process --kafka: {processed.returncode} {processed.stderr}")
        harness.check(imported.returncode == 0 and "decided" in imported.stderr,
                      f"import --kafka: {imported.returncode} {imported.stderr}")
        harness.check(refused.returncode == 2 and "--until" in refused.stderr,
                      f"process --kafka --until is refused: {refused.stderr}")

        # The rule (docs/kafka.md): a fact is decided after every deadline due before its own
        # time, in both shapes, so SLA outcomes agree once both clocks have passed the same
        # deadlines — the cluster's wall clock, the embedded run's virtual clock taken to now.
        harness.check(from_topic["sla"]["complaints"] == embedded["sla"]["complaints"] > 250,
                      f"complaints: {from_topic['sla']['complaints']} "
                      f"!= {embedded['sla']['complaints']}")
        harness.check(from_topic["prevention"]["pareto"] == embedded["prevention"]["pareto"],
                      "the root-cause Pareto over the topic is the embedded one: " + "; ".join(
                          f"{a['category']}: {a['count']}/{a['from_filing_category']} vs "
                          f"{b['count']}/{b['from_filing_category']}"
                          for a, b in zip(from_topic["prevention"]["pareto"],
                                          embedded["prevention"]["pareto"]) if a != b))
        mismatched = [(a, b) for a, b in zip(from_topic["sla"]["buckets"], embedded["sla"]["buckets"]) if a != b]
        harness.check(from_topic["sla"]["buckets"] == embedded["sla"]["buckets"],
                      f"SLA outcomes over the topic are the embedded ones: "
                      f"{len(from_topic['sla']['buckets'])} vs {len(embedded['sla']['buckets'])} buckets; "
                      f"first differences {mismatched[:3]}")
        # Every report, not only the buckets: totals, compliance, escalations, revenue at risk;
        # the employees' scores; the at-risk list (its `seconds_left` counts to each run's now).
        harness.check(from_topic["sla"] == embedded["sla"], "the whole SLA report is the embedded one: " +
                      "; ".join(f"{k}: {from_topic['sla'].get(k)} vs {embedded['sla'].get(k)}"
                                for k in sorted(set(from_topic["sla"]) | set(embedded["sla"]))
                                if k != "buckets" and from_topic["sla"].get(k) != embedded["sla"].get(k)))
        harness.check(from_topic["employees"] == embedded["employees"], "the employees' scores are the embedded ones")

        def at_risk(report):
            return [{k: v for k, v in row.items() if k != "seconds_left"} for row in report["at_risk"]]
        harness.check(at_risk(from_topic) == at_risk(embedded) and len(at_risk(embedded)) > 0,
                      f"the at-risk list is the embedded one ({len(at_risk(from_topic))} vs {len(at_risk(embedded))})")
        for key in ("acknowledge", "resolve", "bounce_back"):
            met = sum(b[key]["met"] for b in embedded["sla"]["buckets"])
            missed = sum(b[key]["missed"] for b in embedded["sla"]["buckets"])
            harness.check(met + missed > 250, f"{key}: outcomes decided ({met} met, {missed} missed)")
        harness.check(len(trail_topic) >= 3 and trail_topic == trail_embedded,
                      f"audit c-7: {trail_topic} != {trail_embedded}")
    print(f"OK: process and import --kafka reach the cluster; replay and audit --kafka answer "
          f"as embedded ({from_topic['sla']['complaints']} complaints)")


if __name__ == "__main__":
    main()
