"""The CLI's contract for operators: invalid configuration is refused before anything starts,
with a message naming the key and exit code 2; unknown commands and flags are usage errors."""
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
    out = harness.run(BINARY, "export", "--kafka", "127.0.0.1:1", "--config", bad, timeout=60)
    harness.check(out.returncode == 2 and "policies[0].acknowledge" in out.stderr,
                  "a tool's --config is validated: " + out.stderr)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
