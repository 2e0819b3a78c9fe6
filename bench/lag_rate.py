#!/usr/bin/env python3
"""Follows a consumer group on a topic until it has committed every record, and prints what it
took as JSON: seconds from now to the end, and the rate once warm — records committed after the
group first passed a tenth of them, divided by the time that took. A process that starts, joins
its group and restores state is warm when it has done a tenth of the work, so two consumers are
compared by what they sustain, not by how fast they start.

    bench/lag_rate.py BOUNCEBACK BROKERS GROUP TOPIC [PID]

With PID it also fails as soon as that process has exited (a crashed consumer never catches up).
"""
import json
import os
import subprocess
import sys
import time


def committed(binary, brokers, group, topic):
    out = subprocess.run([binary, "lag", "--kafka", brokers, "--kafka-group", group, "--topic",
                          topic], capture_output=True, text=True)
    if out.returncode != 0:
        return None
    lag = json.loads(out.stdout)
    return sum(p["committed"] for p in lag["partitions"]), sum(p["end"] for p in lag["partitions"])


def main():
    binary, brokers, group, topic = sys.argv[1:5]
    pid = int(sys.argv[5]) if len(sys.argv) > 5 else None
    start = time.monotonic()
    warm = None
    while True:
        now = time.monotonic()
        got = committed(binary, brokers, group, topic)
        if got is not None:
            done, end = got
            if warm is None and end > 0 and done >= end / 10:
                warm = (now, done)
            if end > 0 and done >= end:
                rate = (done - warm[1]) / (now - warm[0]) if now > warm[0] else None
                print(json.dumps({"records": end, "total_s": now - start,
                                  "warm_after_s": warm[0] - start, "warm_per_s": rate}))
                return
        if pid is not None:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                sys.exit(f"lag_rate: process {pid} exited before {group} caught up")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
