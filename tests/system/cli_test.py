"""The CLI's contract for operators: invalid configuration is refused before anything starts,
with a message naming the key and exit code 2; unknown commands and flags are usage errors."""
import json
import os
import sys
import tempfile

import harness

BINARY = sys.argv[1]


def main():
    work = tempfile.mkdtemp(prefix="bounceback-cli-")
    cfg = os.path.join(work, "bounceback.yaml")
    harness.write_config(cfg, harness.free_port(), os.path.join(work, "data"))
    with open(cfg) as f:
        text = f.read()
    bad = os.path.join(work, "bad.yaml")
    with open(bad, "w") as f:
        f.write(text.replace("acknowledge: P30D", "acknowledge: 30 days", 1))
    out = harness.run(BINARY, "serve", "--config", bad)
    harness.check(out.returncode == 2, f"invalid config exits 2, got {out.returncode}")
    harness.check("policies[0].acknowledge" in out.stderr, "the message names the key: " + out.stderr)
    harness.check(not os.path.exists(os.path.join(work, "data")), "nothing was started or created")

    out = harness.run(BINARY, "serve", "--config", cfg, "--set", "calendars.always.time_zone=Nowhere/City")
    harness.check(out.returncode == 2 and "calendars.always.time_zone" in out.stderr, "--set overrides are validated too")
    out = harness.run(BINARY, "serve", "--config", cfg, "--listen", "nonsense")
    harness.check(out.returncode == 2 and "listen" in out.stderr, "flags are config keys: " + out.stderr)
    out = harness.run(BINARY, "serve", "--config", cfg, "--frobnicate", "1")
    harness.check(out.returncode == 2 and "unknown flag --frobnicate" in out.stderr, out.stderr)
    out = harness.run(BINARY, "teleport")
    harness.check(out.returncode == 2 and "unknown command" in out.stderr, out.stderr)
    out = harness.run(BINARY, "--help")
    harness.check(out.returncode == 0 and "serve" in out.stdout, "help goes to stdout")
    out = harness.run(BINARY, "export", "--data", os.path.join(work, "nothing-here"))
    harness.check(out.returncode == 2 and "no event store" in out.stderr, out.stderr)
    # The Kafka tools take the cluster's client properties from --config (kafka.client): a value
    # librdkafka refuses is reported by name before anything connects, so it reached the client.
    tls = os.path.join(work, "kafka-client.yaml")
    with open(tls, "w") as f:
        f.write(text + '\nkafka: { client: { "socket.timeout.ms": "not-a-number" } }\n')
    for tool in (["publish", "--input", cfg], ["export"], ["verify"], ["lag"]):
        out = harness.run(BINARY, *tool, "--kafka", "127.0.0.1:1", "--config", tls, timeout=60)
        harness.check(out.returncode != 0 and "socket.timeout.ms" in out.stderr,
                      f"{tool[0]} applies kafka.client: {out.returncode} {out.stderr}")
    check_whatif(work, cfg)
    out = harness.run(BINARY, "export", "--kafka", "127.0.0.1:1", "--config", bad, timeout=60)
    harness.check(out.returncode == 2 and "policies[0].acknowledge" in out.stderr,
                  "a tool's --config is validated: " + out.stderr)
    print("1 passed, 0 failed")


def check_whatif(work, cfg):
    """whatif decides the stored facts again under other policies and only reads the log."""
    stream = os.path.join(work, "sim.jsonl")
    sim = harness.run(BINARY, "simulate", "--events", "600", "--seed", "3", "--start",
                      "2026-01-05T08:00:00Z")
    with open(stream, "w") as f:
        f.write(sim.stdout)
    data = os.path.join(work, "whatif-data")
    out = harness.run(BINARY, "process", "--config", cfg, "--data", data, "--input", stream)
    harness.check(out.returncode in (0, 1), "the simulated stream was processed: " + out.stderr)
    before = harness.run(BINARY, "export", "--data", data).stdout
    until = "2026-06-01T00:00:00Z"
    same = harness.run(BINARY, "whatif", "--config", cfg, "--data", data, "--until", until)
    harness.check(same.returncode == 0, "whatif runs: " + same.stderr)
    same = json.loads(same.stdout)
    harness.check(same["summary"]["complaints"] > 20 and same["summary"]["changed"] == 0 and
                  same["changes"] == [], f"the same policies change nothing: {same['summary']}")
    strict = os.path.join(work, "strict.yaml")
    harness.write_config(strict, harness.free_port(), data, vip_ack="PT10M", std_ack="PT10M")
    out = harness.run(BINARY, "whatif", "--config", strict, "--data", data, "--until", until)
    harness.check(out.returncode == 0, "whatif under stricter policies runs: " + out.stderr)
    report = json.loads(out.stdout)
    s = report["summary"]
    harness.check(s["changed"] > 0 and
                  s["after"].get("acknowledge:breached", 0) > s["before"].get("acknowledge:breached", 0),
                  f"a ten-minute acknowledgement target breaches more: {s}")
    row = report["changes"][0]
    harness.check(set(row) >= {"complaint_id", "before", "after"} and
                  row["before"]["acknowledge"] != row["after"]["acknowledge"] or
                  row["before"] != row["after"], f"a changed complaint names both outcomes: {row}")
    harness.check(harness.run(BINARY, "export", "--data", data).stdout == before,
                  "whatif did not touch the log")


if __name__ == "__main__":
    main()
