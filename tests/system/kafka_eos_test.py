"""Exactly-once under failure, modelled on Kafka's transactions system test: 100,000 inbound
events on 6 partitions, 3 instances of the service in one consumer group, one instance killed with
SIGKILL (and restarted) at least 3 times after 20% of the input; afterwards the domain events a
read_committed consumer sees equal those of processing each input exactly once."""
import base64
import sys
import tempfile
import time

import harness
import kafka_harness

EVENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
INSTANCES = ["i1", "i2", "i3"]
CHUNKS = 5   # the input arrives in 5 chunks; an instance is killed after each of the last 4


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        cluster = kafka_harness.Cluster(binary, tmp, "eos")
        events = kafka_harness.make_inputs(EVENTS)
        expected = kafka_harness.expected_content(binary, tmp, events)
        try:
            for name in INSTANCES:
                cluster.start(name)
            size = len(events) // CHUNKS
            chunks = [events[i * size:(i + 1) * size] for i in range(CHUNKS - 1)]
            chunks.append(events[(CHUNKS - 1) * size:])
            # The first 20%: processed by the whole group before anything is killed.
            cluster.publish(chunks[0])
            cluster.wait_caught_up()
            kills = 0
            for n, chunk in enumerate(chunks[1:]):
                cluster.publish(chunk, mode="binary" if n % 2 else "structured")
                # Let the group be mid-chunk, then kill one instance without warning.
                target = cluster.committed() + len(chunk) // 4
                deadline = time.time() + 60
                while cluster.committed() < target and time.time() < deadline:
                    time.sleep(0.05)
                victim = INSTANCES[n % len(INSTANCES)]
                cluster.kill(victim)
                kills += 1
                print(f"killed {victim} at {cluster.committed()} committed of "
                      f"{size * (n + 1) + len(chunk)} published", flush=True)
                time.sleep(1)
                cluster.start(victim)
            cluster.wait_caught_up()
            actual = kafka_harness.content(cluster.export())
            verified = cluster.verify()
            dead = cluster.export(cluster.deadletter)
        finally:
            cluster.stop_all()
            kafka_harness.keep_logs(binary, tmp, "kafka-eos", INSTANCES)

        problems = kafka_harness.compare(expected, actual)
        if problems:
            missing = {p.split(":")[0].replace("complaint-", "") for p in problems}
            for d in dead:
                original = base64.b64decode(d["original_base64"]).decode(errors="replace")
                if any(f'"{m}"' in original for m in missing):
                    print("   dead letter:", d["kind"], d["reason"], d["partition"], d["offset"])
        total = sum(len(v) for v in actual.values())
        print(f"{len(events)} inbound events, {kills} kills, {total} domain events in "
              f"{len(actual)} streams; expected {sum(len(v) for v in expected.values())}")
        for p in problems:
            print("  ", p)
        harness.check(kills >= 3, "at least 3 kills")
        harness.check(not problems, "domain events equal exactly-once processing")
        harness.check(verified.returncode == 0, "every partition's hash chain verifies: " +
                      verified.stdout + verified.stderr)
        print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
