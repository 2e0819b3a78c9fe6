"""Broker bounce: the only broker is stopped for more than 10 s while two instances are mid-stream,
then started again (same data, same ports). Afterwards the domain events equal those of
processing every input exactly once, and every partition's hash chain verifies."""
import subprocess
import sys
import tempfile
import threading
import time

import harness
import kafka_harness

EVENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 30_000
INSTANCES = ["b1", "b2"]


def broker(cmd):
    out = subprocess.run([kafka_harness.BROKER_SCRIPT, cmd], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"broker {cmd} failed: {out.stderr}")


def main():
    binary = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        cluster = kafka_harness.Cluster(binary, tmp, "bounce")
        events = kafka_harness.make_inputs(EVENTS, seed=5)
        expected = kafka_harness.expected_content(binary, tmp, events)
        # The first 60% is published in slices by a thread while the instances process it, so the
        # broker goes away mid-stream however fast the build is (an optimised ASan build once
        # finished the whole first part before a `lag` poll noticed 20% were committed). The
        # thread stays at most two slices ahead of what is committed: once, the group's join took
        # as long as publishing every slice, and the instances then caught up on all of them
        # between two polls.
        first = len(events) * 6 // 10
        slices = [events[i:i + first // 10] for i in range(0, first, first // 10)]
        published = []  # slices published before the broker went away
        publishing = threading.Lock()
        broker_going = threading.Event()

        def trickle():
            for part in slices:
                with publishing:
                    if broker_going.is_set():
                        return
                    cluster.publish(part)
                    published.append(part)
                    ahead = sum(len(p) for p in published) - 2 * len(part)
                time.sleep(0.3)
                while not broker_going.is_set() and cluster.committed() < ahead:
                    time.sleep(0.1)

        try:
            for name in INSTANCES:
                cluster.start(name)
            publisher = threading.Thread(target=trickle)
            publisher.start()
            deadline = time.time() + 120
            while cluster.committed() < len(events) // 5 and time.time() < deadline:
                time.sleep(0.05)
            with publishing:  # no publish in flight while the broker stops
                broker_going.set()
                sent = sum(len(p) for p in published)
                before = cluster.committed()
                stopped = time.time()
                broker("stop")
            publisher.join()
            time.sleep(12)
            broker("restart")
            print(f"broker down for {time.time() - stopped:.1f} s at {before} committed of {sent} "
                  f"published", flush=True)
            cluster.publish(events[sent:])
            cluster.wait_caught_up(timeout=600)
            actual = kafka_harness.content(cluster.export())
            verified = cluster.verify()
        finally:
            broker("restart")  # whatever happened, later tests need the broker
            cluster.stop_all()
            kafka_harness.keep_logs(binary, tmp, "kafka-bounce", INSTANCES)

        problems = kafka_harness.compare(expected, actual)
        for p in problems:
            print("  ", p)
        harness.check(before < first, "the broker went away mid-stream")
        harness.check(not problems, "domain events equal exactly-once processing")
        harness.check(verified.returncode == 0, "hash chains verify: " + verified.stdout)
        print("3 passed, 0 failed")


if __name__ == "__main__":
    main()
