"""The events topic is the audit log: `serve --kafka` creates it so that the broker never deletes
a record, and refuses to run on one that would, naming the kafka-configs command that fixes it."""
import os
import sys
import tempfile

import harness
import kafka_harness


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        cluster = kafka_harness.Cluster(binary, tmp, "topics")
        try:
            # Creates the three topics; the events topic as it must be, so the service starts.
            proc, port = cluster.start("i1")
            harness.wait_ready(port, proc, timeout=120)
        finally:
            cluster.stop_all()

        # The inbound topic was created with the broker's default retention: named as the events
        # topic (and the events topic as inbound, so the partition counts still match), it must
        # be refused before anything is consumed or written.
        cluster.inbound, cluster.events = cluster.events, cluster.inbound
        path, _ = cluster.config("i2")
        out = harness.run(binary, "serve", "--config", path, timeout=120)
        harness.check(out.returncode == 2, f"exit {out.returncode}, stderr: {out.stderr}")
        for needed in ["refusing to run", f"topic {cluster.events} can delete records",
                       "retention.ms=", "kafka-configs.sh --bootstrap-server " + cluster.brokers,
                       f"--entity-name {cluster.events}",
                       "--add-config cleanup.policy=delete,retention.ms=-1,retention.bytes=-1"]:
            harness.check(needed in out.stderr, f"stderr lacks {needed!r}: {out.stderr}")
        harness.check(not os.path.exists(os.path.join(tmp, "data-i2", "receipts.db")),
                      "the refused instance opened its data directory")

        # The outbound deliveries topic must be compacted: one made with the broker's defaults
        # (here the dead-letter topic, named as the deliveries topic) is refused with the fix.
        cluster.inbound, cluster.events = cluster.events, cluster.inbound
        path, _ = cluster.config("i3")
        out = harness.run(binary, "serve", "--config", path, "--set",
                          f"kafka.deliveries_topic={cluster.deadletter}", timeout=120)
        harness.check(out.returncode == 2, f"exit {out.returncode}, stderr: {out.stderr}")
        for needed in ["refusing to run", f"topic {cluster.deadletter} is not compacted",
                       f"--entity-name {cluster.deadletter}",
                       "--add-config cleanup.policy=[compact,delete]"]:
            harness.check(needed in out.stderr, f"stderr lacks {needed!r}: {out.stderr}")

        # The broker does not create topics on demand: publishing to a topic that does not exist
        # must fail and say so (after librdkafka's 30 s wait for it to appear), not report the
        # records as published.
        events = os.path.join(tmp, "one.jsonl")
        with open(events, "w") as f:
            f.write('{"specversion":"1.0","id":"x-1","source":"t","type":"complaint.filed",'
                    '"partitionkey":"c-1","data":{"complaint_id":"c-1"}}\n')
        out = harness.run(binary, "publish", "--kafka", cluster.brokers, "--topic",
                          "topics.nowhere", "--input", events, timeout=120)
        harness.check(out.returncode == 1, f"publish to a missing topic: exit {out.returncode}")
        harness.check("1 of 1 records were not delivered" in out.stderr and
                      "published" not in out.stderr,
                      f"publish to a missing topic: {out.stderr}")
    print("OK: the events topic keeps every record; a topic that deletes is refused with the fix;"
          " an uncompacted deliveries topic is refused; publish refuses a missing topic")


if __name__ == "__main__":
    main()
